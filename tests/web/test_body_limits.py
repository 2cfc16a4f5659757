"""Request bodies: 64 KiB on every route but the imports (20 MiB); 413 in Chinese, before the body is read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from shebao.app import BODY_LIMIT, BODY_LIMITS
from shebao.web.security import MIB, BodyLimitMiddleware

NOTIFY = "/api/v1/channels/alipay/notify"


def test_the_limits() -> None:
    assert BODY_LIMIT == 64 * 1024
    assert dict(BODY_LIMITS) == {
        "/api/v1/agency/": 20 * MIB,
        "/api/v1/taxcore/": 20 * MIB,
        "/api/v1/console/imports": 20 * MIB,  # the console's upload of the same files
        "/console/imports": 20 * MIB,
        "/sandbox/bank/batches": 1024 * MIB,  # the sandbox bank's batch deduction files, streamed
    }


def test_a_declared_body_over_the_limit_is_a_413_in_chinese(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.post(NOTIFY, content=b"x" * (64 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json() == {
        "error": {"code": "body_too_large", "message": "请求内容过大（不能超过64KB），请减少内容后重试"}
    }
    assert client.post(NOTIFY, content=b"x" * (64 * 1024)).status_code != 413


def test_a_streamed_body_is_counted(client) -> None:  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for _ in range(20):
            yield b"x" * 8192

    answer = client.post(NOTIFY, content=chunks())
    assert answer.status_code == 413
    assert answer.json()["error"]["message"] == "请求内容过大（不能超过64KB），请减少内容后重试"


def test_a_form_over_the_limit_gets_the_error_page(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/")
    answer = client.post(
        "/login", data={"csrf_token": client.cookies["shebao_csrf"], "name": "张" * 30000, "phone": "1"}
    )
    assert answer.status_code == 413
    assert "请求内容过大（不能超过64KB）" in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def test_imports_take_larger_bodies_up_to_20_mib(client) -> None:  # type: ignore[no-untyped-def]
    rows = b'{"rows": [' + b",".join([b'{"name": "' + b"x" * 1000 + b'"}'] * 1100) + b"]}"
    assert len(rows) > 1024 * 1024
    answer = client.post(
        "/api/v1/agency/enrolments", content=rows, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 401  # read, then refused for want of a key: not a 413
    too_big = client.post("/api/v1/agency/enrolments", content=b" " * (20 * MIB + 1))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["message"] == "请求内容过大（不能超过20MB），请减少内容后重试"


def test_nothing_is_read_when_the_declared_length_is_too_large() -> None:
    reads: list[str] = []
    refused: list[int] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        reads.append("app")

    async def receive():  # type: ignore[no-untyped-def]
        reads.append("receive")
        return {"type": "http.request", "body": b"", "more_body": True}

    async def refuse(scope, receive, send, limit) -> None:  # type: ignore[no-untyped-def]
        refused.append(limit)

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        pass

    middleware = BodyLimitMiddleware(app, default=10, limits=[("/big/", 100)], refuse=refuse)
    headers = [(b"content-length", str(200 * MIB).encode())]
    for path in ("/small", "/big/import"):
        scope = {"type": "http", "path": path, "headers": headers}
        # A thread of its own: the browser tests may leave an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, middleware(scope, receive, send)).result()
    assert reads == [] and refused == [10, 100]
