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
from shebao.errors import ShebaoError
from shebao.payments.models import Payment
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.alipay.notifier import notification_params
from shebao.settlement import notify
from shebao.settlement.declaration import void_declaration
from shebao.settlement.settle import apply_success
from tests.support.payments import declare, open_payment
from tests.support.people import transaction

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

    from shebao.channels.alipay.keys import sandbox_private_key

    with transaction(runtime) as s:
        trade = s.scalars(
            select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == out_trade_no)
        ).one()
        trade.status, trade.paid_at, trade.notify_id = "TRADE_SUCCESS", runtime.clock.now(), "event-1"
        params = notification_params(trade, sandbox_private_key(runtime.settings), runtime.clock.now())
    return urlencode(params).encode()


def test_fifty_duplicate_notifications_give_one_payment_and_one_eticket(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    raw = _signed_success(runtime, body["out_trade_no"])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    answers = _in_parallel(50, lambda: notify.handle(runtime, runtime.work(), "alipay", raw, headers))
    assert [a.body for a in answers] == ["success"] * 50
    with runtime.db.session() as s:
        payment = s.get(Payment, uuid.UUID(body["id"]))
        assert payment is not None and payment.status == "succeeded" and payment.eticket_no
        assert s.scalar(select(func.count()).where(Payment.eticket_no.is_not(None))) == 1
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1
        assert s.scalar(select(func.count()).where(AuditEntry.action == "declaration.paid")) == 1


def test_pay_versus_void_has_exactly_one_winner(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    raw = _signed_success(runtime, body["out_trade_no"])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    key = uuid.UUID(declared["id"])
    calls = iter(
        [
            lambda: notify.handle(runtime, runtime.work(), "alipay", raw, headers),
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


def test_one_success_delivered_many_times_at_once_is_no_duplicate(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    """Paid at the provider without a notification, then its success delivered 8 times at once by each of
    four clients: the payment succeeds once, the declaration is paid, nothing is flagged for refund."""
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    trade = f"/sandbox/alipay/trades/{body['out_trade_no']}"
    assert client.post(f"{trade}/pay", json={"notify": False}).status_code == 200
    answers = _in_parallel(4, lambda: client.post(f"{trade}/notify", json={"copies": 8}))
    assert [a.status_code for a in answers] == [200] * 4
    with runtime.db.session() as s:
        payment = s.get(Payment, uuid.UUID(body["id"]))
        declaration = s.get(Declaration, uuid.UUID(declared["id"]))
        assert payment is not None and declaration is not None
        assert (payment.status, payment.duplicate, payment.refund_status) == ("succeeded", False, None)
        assert declaration.payment_status == "paid"
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.duplicate")) == 0
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1


def test_a_payment_read_before_its_lock_is_settled_from_the_fresh_row(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    """The mechanism behind the duplicates: a payment loaded before another transaction settled it must
    be re-read under the lock, not taken from the session's identity map."""
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    key = uuid.UUID(body["id"])
    with transaction(runtime) as first:
        seen = first.get(Payment, key)
        assert seen is not None and seen.status == "pending"
        with transaction(runtime) as other:
            apply_success(
                other, other.get(Payment, key), provider_trade_no="T1", paid_at=None, now=runtime.clock.now()
            )
        settled = apply_success(first, seen, provider_trade_no="T1", paid_at=None, now=runtime.clock.now())
        assert (settled.status, settled.duplicate) == ("succeeded", False)
    with runtime.db.session() as s:
        payment = s.get(Payment, key)
        assert payment is not None and (payment.status, payment.duplicate) == ("succeeded", False)
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.succeeded")) == 1


def test_fifty_parallel_payments_of_one_declaration_leave_one_open(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    """No 500 and no client timeout: those deciding while the first is with its provider get a 409; one
    deciding after the provider answered replaces it (API.md: a new payment closes the open ones first)."""
    declared = declare(client, world.zhang_headers)
    answers = _in_parallel(50, lambda: open_payment(client, world.zhang_headers, declared["id"]))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {201, 409, 503} and codes.count(409) >= 40, codes
    refused = [a.json()["error"]["message"] for a in answers if a.status_code != 201]
    assert set(refused) <= {"缴费结果确认中，请稍后再试", "系统繁忙，请稍后再试"}
    assert all(a.headers.get("Retry-After") for a in answers if a.status_code == 503)
    opened = {a.json()["id"] for a in answers if a.status_code == 201}
    with runtime.db.session() as s:
        payments = {str(p.id): p.status for p in s.scalars(select(Payment))}
    assert set(payments) == opened
    assert sorted(payments.values()) == ["closed"] * (len(opened) - 1) + ["pending"]


def test_fifty_requests_with_one_idempotency_key_get_the_first_payment(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    answers = _in_parallel(
        50,
        lambda: open_payment(client, world.zhang_headers, declared["id"], **{"Idempotency-Key": "same-key"}),
    )
    assert [a.status_code for a in answers] == [201] * 50, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert {a.json()["pay"]["kind"] for a in answers} == {"redirect"}
    with runtime.db.session() as s:
        [payment] = s.scalars(select(Payment)).all()
    assert payment.status == "pending"
