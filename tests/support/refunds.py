"""Refunds in tests: a duplicate payment made through a sandbox, operators as the console names them, a
wire that loses the answer of one provider call after the provider acted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.audit.service import Actor
from shebao.kit import http
from shebao.payments.models import Payment
from shebao.payments.refunds import Refund
from shebao.runtime import Runtime
from shebao.settlement.settle import apply_end
from tests.support.payments import declare, open_payment
from tests.support.people import transaction

ALICE = Actor("operator", "alice", "console")  # an operator: proposes
BOB = Actor("operator", "bob", "console")  # an approver: approves


def everywhere(_code: str | None) -> bool:
    return True


def duplicate_by_alipay(client, runtime: Runtime, headers: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Pay a declaration twice by Alipay (the first success arrives after a close and a second payment):
    the late one is a duplicate. Answers the late payment as the API shows it."""
    declared = declare(client, headers)
    first = open_payment(client, headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{first['out_trade_no']}/pay", json={"notify": False})
    with transaction(runtime) as s:
        apply_end(s, s.get(Payment, uuid.UUID(first["id"])), "closed", now=runtime.clock.now())
    second = open_payment(client, headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{second['out_trade_no']}/pay")
    client.post(f"/sandbox/alipay/trades/{first['out_trade_no']}/notify", json={"copies": 1})
    late: dict[str, Any] = client.get(f"/api/v1/payments/{first['id']}", headers=headers).json()
    assert late["duplicate"] is True, late
    return late


def refund_of(runtime: Runtime, payment_id: str) -> Refund:
    with runtime.db.session() as s:
        found = s.scalars(select(Refund).where(Refund.payment_id == uuid.UUID(payment_id))).one()
        s.expunge(found)
        return found


@contextmanager
def answer_lost(app: Any, method: str) -> Iterator[list[str]]:
    """The first Alipay gateway call of `method` reaches the sandbox, which acts and commits, and its answer
    is lost on the way back (a read timeout); every other call goes through. Yields the calls' methods."""
    seen: list[str] = []
    previous = http._factory

    class LosingClient(TestClient):
        def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
            answer = super().send(request, **kwargs)
            called = (
                dict(parse_qsl(request.content.decode("utf-8"))).get("method", "") if request.content else ""
            )
            seen.append(called)
            if called == method and seen.count(method) == 1:
                answer.read()
                raise httpx.ReadTimeout("answer lost", request=request)
            return answer

    http.use(lambda: LosingClient(app, base_url="http://testserver"))
    try:
        yield seen
    finally:
        http.use(previous)
