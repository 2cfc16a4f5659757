"""Refunds of duplicate WeChat Pay and UnionPay payments end to end through the app: proposed and approved
(maker-checker), sent by WeChat Pay's v3 refund and UnionPay's 退货 against their sandboxes, completed by
the provider's refund notification through our refund-notify route, retried after a timeout without
refunding twice, and the refund line of the next day's bill matched by reconciliation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shebao.channels.base import RefundNotification
from shebao.db import UnitOfWork
from shebao.payments.models import ChannelEvent
from shebao.reconciliation.service import reconcile
from shebao.refunds import notify, service
from shebao.runtime import Runtime
from tests.support.payments import load_payment, move_clock
from tests.support.people import transaction
from tests.support.refunds import BOB, duplicate_by, everywhere, propose, refund_of

DAY = date(2025, 11, 20)  # the world's day
PAID = 79500


def _proposed(runtime: Runtime, client: TestClient, headers: dict[str, str], method: str) -> tuple[Any, Any]:
    late = duplicate_by(client, runtime, headers, method)
    refund = refund_of(runtime, late["id"])
    propose(runtime, refund.id)
    return late, refund


def _ledger(client: TestClient, method: str, out_trade_no: str) -> tuple[int, list[tuple[str, int, str]]]:
    shown = client.get(f"/sandbox/{method}/trades/{out_trade_no}/refunds").json()
    return shown["refunded_fen"], [(r["out_refund_no"], r["amount_fen"], r["status"]) for r in shown["items"]]


def _refund_events(runtime: Runtime, method: str) -> list[tuple[str, str | None]]:
    with runtime.db.session() as s:
        rows = s.query(ChannelEvent).filter(ChannelEvent.channel == f"{method}.refund").all()
        return [(row.out_trade_no, row.outcome) for row in rows]


@pytest.mark.parametrize("method", ["wechat", "unionpay"])
def test_a_duplicate_is_refunded_through_its_channel_and_the_record_shows_it(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world.zhang_headers, method)

    service.approve(runtime, refund.id, actor=BOB, sees=everywhere)

    done = refund_of(runtime, late["id"])
    assert (done.status, done.approved_by, done.send_attempts, done.amount_fen) == (
        "succeeded",
        "bob",
        1,
        PAID,
    )
    assert _ledger(client, method, late["out_trade_no"]) == (
        PAID,
        [(refund.out_refund_no, PAID, "succeeded")],
    )
    shown = client.get(f"/sandbox/{method}/refunds/{refund.out_refund_no}").json()
    assert done.provider_refund_no == shown["refund_no"]
    # The provider's refund notification reached our route and was applied (WeChat Pay's answer may have
    # told first: then the notification found it done).
    assert _refund_events(runtime, method) == [(late["out_trade_no"], "applied")]
    assert shown["notify_state"] == "delivered"
    assert load_payment(runtime, late["id"]).refund_status == "refunded"
    payment = client.get(f"/api/v1/payments/{late['id']}", headers=world.zhang_headers).json()
    assert (payment["status_label"], payment["refund_status"]) == ("已退款", "refunded")


@pytest.mark.parametrize("method", ["wechat", "unionpay"])
def test_a_copy_of_the_notification_applied_at_the_same_time_keeps_the_first_processed_at(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world.zhang_headers, method)
    service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    with runtime.db.session() as s:
        first = s.query(ChannelEvent).filter(ChannelEvent.channel == f"{method}.refund").one()
        event_id, processed_at = first.event_id, first.processed_at
    assert processed_at is not None
    # A copy delivered at once passed the inbox's check before the first was applied: it applies after it.
    move_clock(runtime, timedelta(minutes=3))
    copy = RefundNotification(
        event_id=event_id,
        out_refund_no=refund.out_refund_no,
        out_trade_no=late["out_trade_no"],
        amount_fen=PAID,
        status="succeeded",
        provider_refund_no=refund_of(runtime, late["id"]).provider_refund_no,
        refunded_at=None,
        raw={},
    )
    work = UnitOfWork(runtime.db, runtime.clock.now)
    try:
        assert notify._apply(work, method, copy) == "applied"
    finally:
        work.close()
    with runtime.db.session() as s:
        kept = s.query(ChannelEvent).filter(ChannelEvent.channel == f"{method}.refund").one()
        assert (kept.outcome, kept.processed_at) == ("applied", processed_at)
    done = refund_of(runtime, late["id"])
    assert (done.status, done.send_attempts) == ("succeeded", 1)


@pytest.mark.parametrize("method", ["wechat", "unionpay"])
def test_a_refund_answered_later_is_completed_by_the_providers_notification(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world.zhang_headers, method)
    assert client.post(f"/sandbox/{method}/refunds/faults", json={"later": True}).status_code == 200

    sent = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert (sent.status, sent.answer) == ("sending", {"status": "pending", "amount_fen": PAID})
    assert _refund_events(runtime, method) == []

    client.post(f"/sandbox/{method}/refunds/{refund.out_refund_no}/complete", json={})
    done = refund_of(runtime, late["id"])
    assert (done.status, done.send_attempts) == ("succeeded", 1)
    assert _refund_events(runtime, method) == [(late["out_trade_no"], "applied")]
    assert _ledger(client, method, late["out_trade_no"]) == (
        PAID,
        [(refund.out_refund_no, PAID, "succeeded")],
    )


@pytest.mark.parametrize("method", ["wechat", "unionpay"])
def test_a_refund_whose_answer_timed_out_is_retried_and_refunds_once(
    client, world, runtime, routed, method: str
) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world.zhang_headers, method)
    client.post(f"/sandbox/{method}/refunds/faults", json={"timeouts": 1, "later": True})

    sent = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert (sent.status, sent.answer) == ("sending", {"status": "unknown"})
    acted = (PAID, [(refund.out_refund_no, PAID, "processing")])  # the provider acted; its answer was lost
    assert _ledger(client, method, late["out_trade_no"]) == acted

    assert service.retry_due(runtime) == 0  # not due yet
    move_clock(runtime, timedelta(minutes=2))
    assert service.retry_due(runtime) == 1  # the same request id again: the refund already made answers
    again = refund_of(runtime, late["id"])
    assert (again.status, again.send_attempts, again.answer) == (
        "sending",
        2,
        {"status": "pending", "amount_fen": PAID},
    )
    assert _ledger(client, method, late["out_trade_no"]) == acted

    client.post(f"/sandbox/{method}/refunds/{refund.out_refund_no}/complete", json={})
    done = refund_of(runtime, late["id"])
    assert (done.status, done.out_refund_no) == ("succeeded", refund.out_refund_no)
    assert _ledger(client, method, late["out_trade_no"]) == (
        PAID,
        [(refund.out_refund_no, PAID, "succeeded")],
    )


@pytest.mark.parametrize(("method", "lines"), [("wechat", 3), ("unionpay", 3)])
def test_the_next_days_bill_shows_the_refund_and_reconciliation_matches_it(
    client, world, runtime, routed, method: str, lines: int
) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world.zhang_headers, method)
    service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T09:00:00+08:00"))
    summary = reconcile(runtime, method, DAY)
    assert (summary.lines, summary.matched, summary.settled, summary.findings) == (lines, lines, 0, [])
