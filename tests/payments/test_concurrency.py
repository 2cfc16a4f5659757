"""Races that only real parallel connections show (PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.declarations.models import Declaration
from shebao.declarations.service import void_declaration
from shebao.errors import ShebaoError
from shebao.payments.models import Payment
from shebao.payments.service import notify
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.alipay.notifier import notification_params
from tests.payments.test_core import _declare, _pay

pytestmark = pytest.mark.postgres_only


def _in_parallel(count: int, work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait(timeout=20)
        try:
            outcome: Any = work()
        except Exception as exc:  # the test asserts on what each thread met
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _signed_success(runtime, out_trade_no: str) -> bytes:  # type: ignore[no-untyped-def]
    """The sandbox provider's signed TRADE_SUCCESS notification for a trade it has marked paid."""
    from urllib.parse import urlencode

    from shebao.payments.channels.alipay.keys import sandbox_private_key

    with runtime.db.transaction() as s:
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == out_trade_no)
        ).one()
        trade.status, trade.paid_at, trade.notify_id = "TRADE_SUCCESS", runtime.clock.now(), "event-1"
        params = notification_params(trade, sandbox_private_key(runtime.settings), runtime.clock.now())
    return urlencode(params).encode()


def test_fifty_duplicate_notifications_give_one_payment_and_one_eticket(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    declared = _declare(client, world.zhang_headers)
    body = _pay(client, world.zhang_headers, declared["id"]).json()
    raw = _signed_success(runtime, body["out_trade_no"])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    answers = _in_parallel(50, lambda: notify.handle(runtime, "alipay", raw, headers))
    assert [a.body for a in answers] == ["success"] * 50
    with runtime.db.session() as s:
        payment = s.get(Payment, uuid.UUID(body["id"]))
        assert payment is not None and payment.status == "succeeded" and payment.eticket_no
        assert s.scalar(select(func.count()).where(Payment.eticket_no.is_not(None))) == 1
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1
        assert s.scalar(select(func.count()).where(AuditEntry.action == "declaration.paid")) == 1


def test_pay_versus_void_has_exactly_one_winner(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = _declare(client, world.zhang_headers)
    body = _pay(client, world.zhang_headers, declared["id"]).json()
    raw = _signed_success(runtime, body["out_trade_no"])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    key = uuid.UUID(declared["id"])
    calls = iter(
        [
            lambda: notify.handle(runtime, "alipay", raw, headers),
            lambda: void_declaration(runtime, world.zhang, key, channel="h5"),
        ]
    )
    lock = threading.Lock()

    def next_call() -> Any:
        with lock:
            call = next(calls)
        return call()

    results = _in_parallel(2, next_call)
    with runtime.db.session() as s:
        declaration = s.get(Declaration, key)
        payment = s.get(Payment, uuid.UUID(body["id"]))
        assert declaration is not None and payment is not None
    # The provider took the money, so it is never lost: either it paid the declaration and the void was
    # refused, or the void won and the payment is a duplicate to refund. Never both paid and voided.
    assert payment.status == "succeeded"
    if declaration.status == "voided":
        assert declaration.payment_status == "unpaid" and payment.duplicate
    else:
        assert declaration.payment_status == "paid" and not payment.duplicate
        assert any(isinstance(r, ShebaoError) for r in results)
