"""Drive the real login through the API and the sandboxes (SMS or platform phone, then face)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from shebao.identity.deps import SESSION_COOKIE
from shebao.identity.sessions import open_session
from tests.support.people import transaction


def wait(client: TestClient, seconds: int) -> None:
    """Let time pass on the service clock (as a citizen waiting would)."""
    now = datetime.fromisoformat(client.get("/sandbox/clock").json()["now"])
    later = (now + timedelta(seconds=seconds)).isoformat()
    assert client.post("/sandbox/clock", json={"now": later}).status_code == 200


def sms_code(client: TestClient, phone: str) -> str:
    wait(client, 61)  # one code per phone per 60 seconds
    assert client.post("/api/v1/auth/sms-code", json={"phone": phone}).status_code == 200
    outbox = client.get("/sandbox/sms/outbox", params={"phone": phone})
    assert outbox.status_code == 200
    code: str = outbox.json()["code"]
    return code


def start_login(client: TestClient, name: str, id_number: str, phone: str, **extra: Any) -> Any:
    body = {
        "phone": phone,
        "sms_code": sms_code(client, phone),
        "name": name,
        "id_type": "resident_id",
        "id_number": id_number,
    }
    body.update(extra)
    return client.post("/api/v1/auth/login", json=body)


def face_token(client: TestClient, verification_id: str, outcome: str = "pass") -> str:
    answer = client.post(f"/sandbox/face/{verification_id}", json={"outcome": outcome})
    assert answer.status_code == 200
    token: str = answer.json()["result_token"]
    return token


def login(client: TestClient, name: str, id_number: str, phone: str) -> dict[str, str]:
    started = start_login(client, name, id_number, phone)
    assert started.status_code == 200, started.text
    verification_id = started.json()["verification_id"]
    done = client.post(
        "/api/v1/auth/face/complete",
        json={"verification_id": verification_id, "result_token": face_token(client, verification_id)},
    )
    assert done.status_code == 200, done.text
    return {"Authorization": f"Bearer {done.json()['access_token']}"}


def cookie_login(client: TestClient, runtime, person) -> str:  # type: ignore[no-untyped-def]
    """Log a browser in (cookie session) and answer its CSRF token."""
    from datetime import timedelta

    with transaction(runtime) as s:
        _, token = open_session(
            s, person.id, kind="cookie", channel="h5", now=runtime.clock.now(), idle=timedelta(minutes=30)
        )
    client.cookies.set(SESSION_COOKIE, token)
    client.get("/")
    csrf: str = client.cookies["shebao_csrf"]
    return csrf
