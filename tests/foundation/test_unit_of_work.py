"""The unit of work: steps commit or roll back, provider calls only between steps, the time read first."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor, record
from shebao.db import TransactionOpen
from shebao.errors import Conflict


def _count(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.work().read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def _write(session, at: datetime) -> None:  # type: ignore[no-untyped-def]
    record(session, actor=Actor.system(), action="test.step", object_type="test", object_id="1", at=at)


def test_a_step_commits_at_its_end_and_rolls_back_on_an_error(runtime) -> None:  # type: ignore[no-untyped-def]
    work = runtime.work()
    before = _count(runtime)
    with work.step() as step:
        assert step.now.tzinfo is not None
        _write(step.session, step.now)
    assert _count(runtime) == before + 1

    def fail(error: Conflict) -> None:
        with work.step() as step:
            _write(step.session, step.now)
            raise error

    with pytest.raises(Conflict):
        fail(Conflict())
    assert _count(runtime) == before + 1
    with pytest.raises(Conflict):
        fail(Conflict().counted())  # a counted failure is kept
    assert _count(runtime) == before + 2


def test_no_provider_call_and_no_step_inside_a_step(runtime) -> None:  # type: ignore[no-untyped-def]
    work = runtime.work()
    with work.step(), pytest.raises(TransactionOpen), work.between():
        pass
    with work.step(), pytest.raises(TransactionOpen), work.step():
        pass
    with work.between():  # between steps: allowed
        pass
