"""Logins racing on PostgreSQL with real parallel connections: one TOTP code opens one session, and
every failure is counted."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.console.models import Operator, OperatorSession
from shebao.runtime import Runtime
from tests.support.console import add_operator

pytestmark = pytest.mark.postgres_only


def _race(app: FastAPI, bodies: list[dict[str, str]]) -> list[int]:
    barrier, answers, lock = threading.Barrier(len(bodies)), [], threading.Lock()

    def log_in(n: int, body: dict[str, str]) -> None:
        with TestClient(app, raise_server_exceptions=False, client=(f"10.0.1.{n}", 50000)) as client:
            barrier.wait(timeout=20)
            answer = client.post("/api/v1/console/login", json=body)
            with lock:
                answers.append(answer.status_code)

    threads = [threading.Thread(target=log_in, args=(n, body)) for n, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(answers)


def test_one_code_opens_one_session(app: FastAPI, runtime: Runtime, session: Session) -> None:
    who = add_operator(runtime, "race.one", role="viewer")
    body = {"username": "race.one", "password": who.password, "totp": who.code()}
    assert _race(app, [body] * 4) == [200, 401, 401, 401]
    assert session.scalar(select(func.count()).select_from(OperatorSession)) == 1


def test_racing_failures_are_all_counted(app: FastAPI, runtime: Runtime, session: Session) -> None:
    add_operator(runtime, "race.two", role="viewer")
    body = {"username": "race.two", "password": "wrong wrong wrong", "totp": "123456"}
    assert _race(app, [body] * 4) == [401] * 4
    assert session.scalars(select(Operator.failed_logins)).one() == 4
