"""A value the database refuses (PostgreSQL: NUL in text) is the client's input: a 422, never a 500."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from shebao.deps import WriteSession


def test_a_value_the_database_refuses_is_a_422(app: FastAPI, client, runtime, is_postgres: bool) -> None:  # type: ignore[no-untyped-def]
    def store(session: WriteSession, value: str) -> dict[str, str]:
        # An integer column given a string: every database refuses it (PostgreSQL also refuses NUL).
        session.execute(text("SELECT CAST(:v AS INTEGER) + 1"), {"v": value})
        return {"status": "stored"}

    app.add_api_route("/api/v1/test/store", store, methods=["POST"])
    answer = client.post("/api/v1/test/store", params={"value": "\u0000" if is_postgres else "x"})
    if is_postgres:
        assert answer.status_code == 422
        assert answer.json()["error"]["message"] == "填写的信息有误：含有不能保存的字符或数值"
    else:
        assert answer.status_code == 200  # SQLite casts what it cannot read to 0
