"""Tax offices for the console's look-up tests: an office scope as the staff give it, a look-up in a step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, true

from shebao.audit.service import Actor
from shebao.console.lookup import PayerLookup
from shebao.runtime import Runtime
from tests.support.console import NEW_PASSWORD, add_operator

HOME = "11101020001"  # 什刹海税务所: the world's payers are enrolled here
OTHER = "11101010001"  # 东直门税务所
OTHER_AGENCY = "SB110101"
CLERK = Actor(type="operator", id="clerk", channel="console")


@dataclass(frozen=True)
class Office:
    """An office scope as the console's staff give it (None: an admin of all offices)."""

    code: str | None

    def sees_office(self, code: str | None) -> bool:
        return self.code is None or code == self.code

    def office_filter(self, column: Any) -> ColumnElement[bool]:
        return true() if self.code is None else column == self.code


@contextmanager
def lookup(runtime: Runtime, office: str | None = HOME, actor: Actor = CLERK) -> Iterator[PayerLookup]:
    with runtime.work().step() as step:
        yield PayerLookup(step.session, Office(office), actor, now=step.now)


def console_browser(
    client: TestClient, runtime: Runtime, *, role: str, office: str | None, username: str
) -> str:
    """An operator logged in by cookie, the one-time password replaced; answers the CSRF token."""
    who = add_operator(runtime, username, role=role, office=office)
    client.get("/console/login")
    csrf: str = client.cookies["shebao_csrf"]
    form = {"username": username, "password": who.password, "totp": who.code(), "csrf_token": csrf}
    assert client.post("/console/login", data=form, follow_redirects=False).status_code == 303
    changed = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": csrf}
    assert client.post("/console/password", data=changed, follow_redirects=False).status_code == 303
    return csrf
