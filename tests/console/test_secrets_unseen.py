"""Passwords and TOTP secrets are never echoed back nor logged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from shebao.runtime import Runtime
from tests.support.console import NEW_PASSWORD, add_operator


def test_no_password_or_secret_in_answers_or_logs(
    client: TestClient, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    who = add_operator(runtime, "yan.shu", role="viewer")
    typed = "my-secret-guess-123"
    client.get("/console/login")
    csrf = client.cookies["shebao_csrf"]
    page = client.post(
        "/console/login", data={"username": "yan.shu", "password": typed, "totp": "1", "csrf_token": csrf}
    )
    assert page.status_code == 401 and typed not in page.text
    api = client.post(
        "/api/v1/console/login", json={"username": "yan.shu", "password": typed, "totp": "x" * 20}
    )
    assert api.status_code == 422 and typed not in api.text and "x" * 20 not in api.text
    done = client.post(
        "/api/v1/console/login", json={"username": "yan.shu", "password": who.password, "totp": who.code()}
    )
    headers = {"Authorization": f"Bearer {done.json()['access_token']}"}
    long = "y" * 300
    refused = client.post("/api/v1/console/password", json={"new_password": long}, headers=headers)
    assert refused.status_code == 422 and long not in refused.text
    assert (
        client.post(
            "/api/v1/console/password", json={"new_password": NEW_PASSWORD}, headers=headers
        ).status_code
        == 200
    )
    captured = capsys.readouterr()
    for secret in (typed, who.password, who.secret, NEW_PASSWORD, long):
        assert secret not in captured.out and secret not in captured.err
