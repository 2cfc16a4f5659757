"""Typed request dependencies shared by every domain's endpoints and pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from shebao.db import UnitOfWork, settle
from shebao.kit.clock import ServiceClock
from shebao.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _session(request: Request, *, write: bool) -> Iterator[Session]:
    """A request of one step: it commits after the endpoint returns (a refused request rolls back, but
    keeps what must be kept: counted failures)."""
    with get_runtime(request).work().step(write=write) as step:
        yield step.session


def read_session(request: Request) -> Iterator[Session]:
    yield from _session(request, write=False)


def write_session(request: Request) -> Iterator[Session]:
    """For every request that changes state: on SQLite it holds the write lock from its first statement."""
    yield from _session(request, write=True)


def unit_of_work(request: Request) -> UnitOfWork:
    """For a request made of several steps with provider calls between them (decision 0002)."""
    return get_runtime(request).work()


def get_clock(request: Request) -> ServiceClock:
    return get_runtime(request).clock


# scope="function": commit before the response is sent, so a failed commit is the response.
__all__ = ["Clock", "DbSession", "RuntimeDep", "Work", "WriteSession", "settle"]

DbSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
Clock = Annotated[ServiceClock, Depends(get_clock)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Work = Annotated[UnitOfWork, Depends(unit_of_work)]
