"""The unit of work: steps commit or roll back, provider calls only between steps, the time read first."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

import shebao
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


SRC = Path(shebao.__file__).parent
# What only `db.py` does: make sessions, begin and end transactions.
SESSION_MAKERS = {"Session", "sessionmaker", "scoped_session", "create_engine"}
TRANSACTION_ENDS = {"begin", "commit", "rollback", "transaction"}
# Where a module may reach past the unit of work, and why.
ALLOWED = {
    ("runtime.py", "db.session"): "the service clock reads its offset before any step begins (decision 0007)",
    (
        "migrate.py",
        "db.engine",
    ): "schema migrations run on a connection of their own, before any unit of work",
    ("migrate.py", "begin"): "the migrations' own connection",
    ("deductions/lock.py", "db.engine"): "the batch run's advisory lock: a connection of its own for the run",
    ("deductions/lock.py", "commit"): "that connection holds no transaction while it holds the lock",
}


def _named(node: ast.expr) -> str:
    """`runtime.db.session` → "db.session": the last two names of an attribute chain."""
    if isinstance(node, ast.Attribute):
        inner = node.value
        owner = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", "")
        return f"{owner}.{node.attr}"
    return getattr(node, "id", "")


def _bypasses(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in SESSION_MAKERS or (isinstance(node.func, ast.Attribute) and name in TRANSACTION_ENDS):
                found.append((node.lineno, name))
        if isinstance(node, ast.Attribute) and _named(node) in (
            "db.session",
            "db.engine",
            "db._read",
            "db._write",
        ):
            found.append((node.lineno, _named(node)))
    return found


def test_no_module_but_db_opens_a_session_or_a_transaction() -> None:
    """The unit of work is the only way to a transaction: no session made, begun, committed or rolled
    back by hand anywhere in `src` but `db.py` (migrations aside)."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if relative == "db.py" or relative.startswith("migrations/"):
            continue
        for line, name in _bypasses(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, name) not in ALLOWED:
                offences.append(f"{relative}:{line} {name}")
    assert offences == []


def test_the_scan_sees_every_way_around() -> None:
    source = """
with runtime.db.session() as s: s.commit()
with self.runtime.db.transaction() as s: pass
session = Session(engine); maker = sessionmaker(engine)
session.rollback(); connection.begin()
factory = db.session
"""
    assert sorted(name for _, name in _bypasses(ast.parse(source))) == sorted(
        ["db.session", "commit", "transaction", "Session", "sessionmaker", "rollback", "begin", "db.session"]
    )


def test_the_database_has_no_transaction_of_its_own(runtime) -> None:  # type: ignore[no-untyped-def]
    assert not hasattr(runtime.db, "transaction")
