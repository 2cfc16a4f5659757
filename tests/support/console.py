"""Operators for the console's tests: made through the real service, logged in through the real API.

`staff_headers(client, runtime, role=..., office=...)` is what most console tests need: an operator
of that role and tax office, logged in with password and TOTP, the one-time password already
replaced; it returns the bearer header.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.audit.service import Actor
from shebao.console import credentials
from shebao.console.models import Operator
from shebao.console.operators import Operators
from shebao.console.sessions import open_session
from shebao.runtime import Runtime
from tests.support.people import transaction

DONGCHENG = "11101010001"  # 东直门税务所
XICHENG = "11101010002"  # 崇文门税务所 (another office)
NEW_PASSWORD = "correct horse battery"
ADMIN_ACTOR = Actor(type="operator", id="cli:test", channel="cli")


@dataclass
class Enrolled:
    username: str
    password: str
    secret: str
    uri: str

    def code(self, offset: int = 0) -> str:
        """The TOTP code of the current real-time step (or one either side: the drift allowed)."""
        return credentials.code_at(self.secret, credentials.real_step() + offset)


def add_operator(runtime: Runtime, username: str, *, role: str, office: str | None = DONGCHENG) -> Enrolled:
    with transaction(runtime) as session:
        done = Operators(session, now=runtime.clock.now(), actor=ADMIN_ACTOR).add(
            username, role=role, tax_office=office
        )
        secret = done.operator.totp_secret
        return Enrolled(username, done.one_time_password, secret, done.totp_uri)


def login(
    client: TestClient, who: Enrolled, *, password: str | None = None, offset: int = 0
) -> dict[str, str]:
    answer = client.post(
        "/api/v1/console/login",
        json={"username": who.username, "password": password or who.password, "totp": who.code(offset)},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def staff_headers(
    client: TestClient,
    runtime: Runtime,
    *,
    role: str = "operator",
    office: str | None = DONGCHENG,
    username: str | None = None,
) -> dict[str, str]:
    """A ready operator's bearer header: added, logged in, the one-time password replaced."""
    who = add_operator(runtime, username or f"{role}-{office or 'all'}", role=role, office=office)
    headers = login(client, who)
    changed = client.post("/api/v1/console/password", json={"new_password": NEW_PASSWORD}, headers=headers)
    assert changed.status_code == 200, changed.text
    return headers


def log_in_page(
    page,
    runtime: Runtime,
    *,
    role: str = "operator",
    office: str | None = DONGCHENG,
    username: str | None = None,
) -> None:  # type: ignore[no-untyped-def]
    """In a browser (a Playwright page on the live server): a new operator logs in at /console/login and
    replaces the one-time password; the page is then on the console's 首页."""
    who = add_operator(runtime, username or f"{role}-{office or 'all'}", role=role, office=office)
    page.goto("/console/login")
    page.get_by_label("用户名").fill(who.username)
    page.get_by_label("密码").fill(who.password)
    page.get_by_label("动态口令").fill(who.code())
    page.get_by_role("button", name="登录").click()
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url("**/console")


def operator_logged_in(client: TestClient, runtime: Runtime, *, role: str = "admin") -> uuid.UUID:
    """An admin of all offices (every console route open to it) logged in through the API as a person
    would: password, and the TOTP code an authenticator app shows (pyotp, not our own code); the
    one-time password then replaced. Answers the operator's id."""
    who = add_operator(runtime, f"fuzz-{role}", role=role, office=None)
    answer = client.post(
        "/api/v1/console/login",
        json={"username": who.username, "password": who.password, "totp": pyotp.TOTP(who.secret).now()},
    )
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    changed = client.post("/api/v1/console/password", json={"new_password": NEW_PASSWORD}, headers=headers)
    assert changed.status_code == 200, changed.text
    with runtime.db.session() as session:
        found = session.scalars(select(Operator.id).where(Operator.username == who.username)).one()
    return found


def operator_bearer(runtime: Runtime, operator_id: uuid.UUID) -> dict[str, str]:
    """A new bearer session of the operator, opened directly (as `bearer_for` does for a payer)."""
    with transaction(runtime) as session:
        _, token = open_session(session, operator_id, kind="bearer", now=runtime.clock.now())
    return {"Authorization": f"Bearer {token}"}
