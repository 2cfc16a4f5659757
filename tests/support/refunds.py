"""Refunds in tests: a duplicate payment made through a sandbox, operators as the console names them, a
wire that loses the answer of one provider call after the provider acted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.audit.service import Actor
from shebao.kit import http
from shebao.payments.models import Payment
from shebao.payments.refunds import Refund
from shebao.refunds import service
from shebao.runtime import Runtime
from shebao.settlement.query import settle_due
from shebao.settlement.settle import apply_end
from tests.support.agreements import ZHANG_CARD, bank_mode, next_day, open_account, signed
from tests.support.elsewhere import feed, feed_row
from tests.support.payments import declare, load_payment, move_clock, open_payment_by
from tests.support.people import bearer_for, transaction

AGREEMENT_START_FEN = 1_000_000  # the balance of the account an agreement deducts from
ALICE = Actor("operator", "alice", "console")  # an operator: proposes
BOB = Actor("operator", "bob", "console")  # an approver: approves


def everywhere(_code: str | None) -> bool:
    return True


def duplicate_by(client, runtime: Runtime, headers: dict[str, str], method: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Pay a declaration twice through `method`'s sandbox (alipay, wechat, unionpay): the first success
    arrives after that payment was closed and a second one paid, so it is the duplicate. Answers it as
    the API shows it."""
    declared = declare(client, headers)
    first = open_payment_by(client, headers, declared["id"], method).json()
    client.post(f"/sandbox/{method}/trades/{first['out_trade_no']}/pay", json={"notify": False})
    with transaction(runtime) as s:
        apply_end(s, s.get(Payment, uuid.UUID(first["id"])), "closed", now=runtime.clock.now())
    second = open_payment_by(client, headers, declared["id"], method).json()
    client.post(f"/sandbox/{method}/trades/{second['out_trade_no']}/pay")
    client.post(f"/sandbox/{method}/trades/{first['out_trade_no']}/notify", json={"copies": 1})
    late: dict[str, Any] = client.get(f"/api/v1/payments/{first['id']}", headers=headers).json()
    assert (late["duplicate"], late["method"]) == (True, method), late
    return late


def duplicate_by_alipay(client, runtime: Runtime, headers: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return duplicate_by(client, runtime, headers, "alipay")


def duplicate_by_agreement(client, world, runtime: Runtime) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The bank deducts, its answer is lost (unknown); meanwhile the declaration is paid at the counter
    (the tax core's feed); the query then learns of the deduction: a duplicate to refund."""
    open_account(client, ZHANG_CARD, "张三", AGREEMENT_START_FEN)
    agreement = signed(client, world.zhang_headers)
    next_day(runtime)
    headers = bearer_for(runtime, world.zhang)
    declared = declare(client, headers)
    bank_mode(client, "timeout")
    body = {"declaration_id": declared["id"], "method": "agreement", "agreement_id": agreement["id"]}
    paid = client.post("/api/v1/payments", json=body, headers=headers).json()
    assert paid["status"] == "unknown", paid
    bank_mode(client, "normal")
    assert (
        feed(client, runtime, [feed_row(declaration_id=declared["id"])]).json()["items"][0]["status"]
        == "applied"
    )
    move_clock(runtime, timedelta(seconds=61))
    settle_due(runtime)
    payment = load_payment(runtime, paid["id"])
    assert (payment.status, payment.duplicate, payment.refund_status) == ("succeeded", True, "to_refund")
    return {"id": paid["id"], "out_trade_no": paid["out_trade_no"]}


def propose(
    runtime: Runtime, refund_id: uuid.UUID, reason: str = "重复缴费，原路退回", amount_fen: int | None = None
) -> Refund:
    """ALICE proposes the refund (a reason; the whole payment unless an amount is given)."""
    with runtime.work().step() as step:
        return service.propose(
            step.session,
            refund_id,
            reason=reason,
            amount_fen=amount_fen,
            actor=ALICE,
            sees=everywhere,
            now=step.now,
        )


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
