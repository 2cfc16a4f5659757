from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor, entries_for, record
from shebao.runtime import Runtime
from tests.support.people import transaction


def _count(runtime: Runtime) -> int:
    with runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_audit_row_commits_with_its_change(runtime: Runtime) -> None:
    with transaction(runtime) as s:
        record(
            s,
            actor=Actor("payer", "p1", "h5"),
            action="declaration.void",
            object_type="declaration",
            object_id="d1",
            at=runtime.clock.now(),
            before={"status": "succeeded"},
            after={"status": "voided"},
        )
    with runtime.db.session() as s:
        [entry] = entries_for(s, "declaration", "d1")
    assert (entry.actor_type, entry.actor_id, entry.channel, entry.action) == (
        "payer",
        "p1",
        "h5",
        "declaration.void",
    )
    assert entry.before == {"status": "succeeded"}
    assert entry.after == {"status": "voided"}
    assert entry.occurred_at.tzinfo is not None


def test_audit_row_rolls_back_with_its_change(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError, match="boom"), transaction(runtime) as s:  # noqa: PT012
        record(s, actor=Actor.system(), action="x", object_type="t", object_id="1", at=runtime.clock.now())
        s.flush()
        raise RuntimeError("boom")
    assert _count(runtime) == 0


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"])
def test_audit_log_is_append_only(runtime: Runtime, statement: str) -> None:
    with transaction(runtime) as s:
        record(s, actor=Actor.system(), action="x", object_type="t", object_id="1", at=runtime.clock.now())
    with pytest.raises(DatabaseError, match="append-only"), transaction(runtime) as s:
        s.execute(text(statement))
    assert _count(runtime) == 1
