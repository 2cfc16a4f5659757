"""The console's operations in the OpenAPI document, and the console cookie's protections."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from shebao.runtime import Runtime
from tests.support.console import NEW_PASSWORD, add_operator


def _documented(document: dict[str, Any], method: str, path: str) -> tuple[set[int], list[str]]:
    operation = document["paths"][path][method]
    schemes = sorted(name for entry in operation.get("security", []) for name in entry)
    return {int(code) for code in operation["responses"] if code != "200"}, schemes


def test_the_console_operations_and_their_errors_are_documented(app) -> None:  # type: ignore[no-untyped-def]
    document = app.openapi()
    assert _documented(document, "post", "/api/v1/console/login") == ({401, 403, 409, 413, 422, 429, 503}, [])
    assert _documented(document, "post", "/api/v1/console/password") == (
        {401, 403, 409, 413, 422, 503},
        ["ConsoleSessionCookie", "ConsoleToken"],
    )
    assert _documented(document, "post", "/api/v1/console/logout")[0] == {401, 403, 409, 413, 503}
    assert _documented(document, "get", "/api/v1/console/me") == (
        {401, 403, 503},
        ["ConsoleSessionCookie", "ConsoleToken"],
    )
    login = document["paths"]["/api/v1/console/login"]["post"]["responses"]
    assert (
        login["401"]["description"] == "用户名、密码或动态口令不正确（不区分哪一项；动态口令每个只能用一次）"
    )
    assert "/console" not in document["paths"] and "/console/login" not in document["paths"]


def _page_login(client: TestClient, runtime: Runtime, username: str) -> str:
    who = add_operator(runtime, username, role="viewer")
    client.get("/console/login")
    csrf: str = client.cookies["shebao_csrf"]
    form = {"username": username, "password": who.password, "totp": who.code(), "csrf_token": csrf}
    answer = client.post("/console/login", data=form, follow_redirects=False)
    assert answer.status_code == 303
    return csrf


def test_cookie_calls_to_the_console_api_need_the_csrf_header(client: TestClient, runtime: Runtime) -> None:
    csrf = _page_login(client, runtime, "lin.feng")
    refused = client.post("/api/v1/console/password", json={"new_password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    ok = client.post(
        "/api/v1/console/password", json={"new_password": NEW_PASSWORD}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200
    assert client.get("/api/v1/console/me").json()["username"] == "lin.feng"


def test_the_cookie_is_secure_when_the_deployment_says_so(client: TestClient, runtime: Runtime) -> None:
    runtime.settings.env = "production"
    who = add_operator(runtime, "luo.bin", role="viewer")
    client.get("/console/login")
    form = {
        "username": "luo.bin",
        "password": who.password,
        "totp": who.code(),
        "csrf_token": client.cookies["shebao_csrf"],
    }
    answer = client.post("/console/login", data=form, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("shebao_console=")
    assert (
        "; HttpOnly" in cookie
        and "; Path=/" in cookie
        and "; SameSite=strict" in cookie
        and "; Secure" in cookie
    )
