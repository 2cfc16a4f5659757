"""Payments fixtures: outgoing HTTP routed to the app in-process, and a merchant endpoint that records the
notifications the sandbox providers send. Plain helpers too, so other test packages can reuse them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from shebao.channels.alipay import AlipayAdapter, alipay_adapter
from shebao.kit import http
from shebao.runtime import Runtime
from tests.helpers import transaction

MERCHANT_NOTIFY_PATH = "/test/merchant/alipay-notify"
MERCHANT_NOTIFY_URL = f"http://testserver{MERCHANT_NOTIFY_PATH}"
MERCHANT_RETURN_URL = "http://testserver/test/merchant/return"


@contextmanager
def routed_to(app: FastAPI) -> Iterator[None]:
    """Every `kit.http.client()` talks to `app` in-process (whatever host the URL names); restored after."""
    previous = http._factory
    http.use(lambda: TestClient(app, base_url="http://testserver"))
    try:
        yield
    finally:
        http.use(previous)


class Merchant:
    """A notify_url on the app under test: records each delivery, answers from a script (then `success`)."""

    def __init__(self, app: FastAPI) -> None:
        self.bodies: list[bytes] = []
        self.content_types: list[str] = []
        self.answers: list[str] = []
        app.add_api_route(MERCHANT_NOTIFY_PATH, self._receive, methods=["POST"], include_in_schema=False)

    async def _receive(self, request: Request) -> PlainTextResponse:
        self.bodies.append(await request.body())
        self.content_types.append(request.headers.get("content-type", ""))
        return PlainTextResponse(self.answers.pop(0) if self.answers else "success")

    @property
    def forms(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)) for body in self.bodies]


def move_clock(runtime: Runtime, by: timedelta) -> datetime:
    """Move the service clock forward (as POST /sandbox/clock does)."""
    with transaction(runtime) as session:
        return runtime.clock.move_to(session, runtime.clock.now() + by)


@pytest.fixture
def routed_http(app: FastAPI) -> Iterator[None]:
    with routed_to(app):
        yield


@pytest.fixture
def merchant(app: FastAPI) -> Merchant:
    return Merchant(app)


@pytest.fixture
def alipay(runtime: Runtime, routed_http: None) -> AlipayAdapter:
    """The production adapter with dev keys, talking to the sandbox gateway in-process."""
    return alipay_adapter(runtime.settings, now=runtime.clock.now)
