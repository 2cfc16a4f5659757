"""A request whose commit fails (the connection lost between its last statement and its COMMIT) answers
503 in Chinese with Retry-After, and what it did is not kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shebao.declarations.models import Declaration
from tests.support.world import payable_ids


def test_a_commit_that_fails_answers_503_and_keeps_nothing(client, world, runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    commit = Session.commit
    failed: list[int] = []

    def lost(self: Session, *args: Any, **kwargs: Any) -> None:
        if self.new or self.dirty or failed:
            return commit(self, *args, **kwargs)
        failed.append(1)
        raise OperationalError("COMMIT", {}, ConnectionError("server closed the connection unexpectedly"))

    # The declaration's statements have flushed by the time its step commits: fail that commit only.
    monkeypatch.setattr(Session, "commit", lost)
    answer = client.post("/api/v1/declarations", json={"payable_ids": ids}, headers=world.zhang_headers)
    monkeypatch.setattr(Session, "commit", commit)

    assert failed == [1]
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["message"] == "系统繁忙，请稍后再试"
    assert answer.headers["Retry-After"]
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Declaration)) == 0
    again = client.post("/api/v1/declarations", json={"payable_ids": ids}, headers=world.zhang_headers)
    assert again.status_code == 201, again.text
