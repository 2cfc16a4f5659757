"""Provider plumbing for tests: outgoing HTTP routed to the app in-process, a merchant endpoint that
records notifications, PEM text of generated keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from shebao.channels import ChannelOrder
from shebao.kit import http

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
        self.headers: list[dict[str, str]] = []
        self.answers: list[str] = []
        app.add_api_route(MERCHANT_NOTIFY_PATH, self._receive, methods=["POST"], include_in_schema=False)

    async def _receive(self, request: Request) -> PlainTextResponse:
        self.bodies.append(await request.body())
        self.content_types.append(request.headers.get("content-type", ""))
        self.headers.append(dict(request.headers))
        return PlainTextResponse(self.answers.pop(0) if self.answers else "success")

    @property
    def forms(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)) for body in self.bodies]


def pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def channel_order(out_trade_no: str, amount_fen: int, *, expires_at: datetime) -> ChannelOrder:
    """A browser (H5) order for the adapters, notifying the test merchant."""
    return ChannelOrder(
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        subject="城乡居民基本医疗保险 2026",
        client_channel="h5",
        platform_user_id=None,
        notify_url=MERCHANT_NOTIFY_URL,
        return_url=MERCHANT_RETURN_URL,
        expires_at=expires_at,
    )
