"""Security headers, request body limits and CSRF protection (double-submit cookie) for the H5 pages.

A random token lives in an HttpOnly, SameSite=Lax cookie; every page renders it into its forms and
the pages' own scripts send it as `X-CSRF-Token`. A state-changing request authenticated by the session
cookie must carry the same value. Bearer-token API calls need none (API.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shebao.errors import CsrfFailed

CSRF_COOKIE = "shebao_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'self'",
    ),
]


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 - a malformed cookie header is ignored, not fatal
                continue
            if name in jar:
                return jar[name].value
    return None


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie(scope, CSRF_COOKIE)
        fresh = token is None or len(token) < 32
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in present]
                if fresh:
                    attrs = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure_cookies else "")
                    headers.append((b"set-cookie", f"{CSRF_COOKIE}={token}; {attrs}".encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


KIB = 1024
MIB = 1024 * KIB


def body_limit_message(limit: int) -> str:
    size = f"{limit // MIB}MB" if limit >= MIB else f"{limit // KIB}KB"
    return f"请求内容过大（不能超过{size}），请减少内容后重试"


# Answers a refused request (413) before the app runs: (scope, receive, send, limit).
Refusal = Callable[[Scope, Receive, Send, int], Awaitable[None]]


class BodyLimitMiddleware:
    """413 for a body above its route's limit, before it is read: a declared Content-Length is checked
    first; a body without one (chunked) is counted as it streams in and refused once past the limit."""

    def __init__(
        self, app: ASGIApp, *, default: int, limits: Sequence[tuple[str, int]], refuse: Refusal
    ) -> None:
        self.app = app
        self.default = default
        self.limits = tuple(limits)
        self.refuse = refuse

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.refuse(scope, receive, send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing to the app's handler.
                    raise HTTPException(413, detail=body_limit_message(limit))
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def require_csrf_header(request: Request) -> None:
    """A JSON call authenticated by a session cookie must send the cookie's CSRF token as a header."""
    sent = request.headers.get(CSRF_HEADER, "")
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise CsrfFailed()


async def csrf_protect(request: Request) -> None:
    """Router dependency for the pages: refuse a state-changing form without the cookie's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfFailed()
