"""Typed request dependencies shared by every domain's endpoints and pages.

A request has one unit of work (decision 0016): `request_work` makes it on first need and keeps it on
`request.state`. `DbSession` and `WriteSession` are a step of it that spans the endpoint, `Work` is the
unit itself for a request of several steps with provider calls between them (decision 0002), and a
dependency that looks something up (the payer) joins the endpoint's step when one is open. It is
closed once the endpoint has returned.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shebao.db import UnitOfWork, settle
from shebao.kit.clock import ServiceClock
from shebao.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def request_work(request: Request) -> UnitOfWork:
    """The request's one unit of work, made on first need."""
    work: UnitOfWork | None = getattr(request.state, "work", None)
    if work is None:
        work = get_runtime(request).work()
        request.state.work = work
    return work


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the thread
# pool, a hand-off to a thread and back per dependency (and two for a generator) on every request.


async def _request_work(request: Request) -> AsyncIterator[UnitOfWork]:
    work = request_work(request)
    try:
        yield work
    finally:
        work.close()


# scope="function": ended before the response is sent, so a failed commit is the response.
RequestWork = Annotated[UnitOfWork, Depends(_request_work, scope="function")]


def _session(work: UnitOfWork, *, write: bool) -> Iterator[Session]:
    """A request of one step: it commits after the endpoint returns (a refused request rolls back, but
    keeps what must be kept: counted failures)."""
    with work.step(write=write) as step:
        yield step.session


def read_session(work: RequestWork) -> Iterator[Session]:
    yield from _session(work, write=False)


def write_session(work: RequestWork) -> Iterator[Session]:
    """For every request that changes state: on SQLite it holds the write lock from its first statement."""
    yield from _session(work, write=True)


async def unit_of_work(work: RequestWork) -> UnitOfWork:
    """For a request made of several steps with provider calls between them (decision 0002)."""
    return work


async def _runtime(request: Request) -> Runtime:
    return get_runtime(request)


async def get_clock(request: Request) -> ServiceClock:
    return get_runtime(request).clock


__all__ = ["Clock", "DbSession", "RuntimeDep", "Work", "WriteSession", "request_work", "settle"]

DbSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
Clock = Annotated[ServiceClock, Depends(get_clock)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
Work = Annotated[UnitOfWork, Depends(unit_of_work)]
