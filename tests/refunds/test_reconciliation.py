"""Refunds in reconciliation: the Alipay statement's refund lines (业务类型 退款) against our refunds."""

from __future__ import annotations

from datetime import date, datetime

from shebao.channels.base import ChannelRefund
from shebao.payments.registry import adapter_for
from shebao.reconciliation.service import reconcile
from shebao.refunds import service
from tests.support.payments import declare, open_payment
from tests.support.people import transaction
from tests.support.refunds import ALICE, BOB, answer_lost, duplicate_by_alipay, everywhere, refund_of

DAY = date(2025, 11, 20)  # the world's day


def _next_day(runtime) -> None:  # type: ignore[no-untyped-def]
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2025-11-21T09:00:00+08:00"))


def _proposed(runtime, client, world):  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    with runtime.work().step() as step:
        service.propose(
            step.session,
            refund.id,
            reason="重复缴费",
            amount_fen=None,
            actor=ALICE,
            sees=everywhere,
            now=step.now,
        )
    return late, refund


def test_a_refund_on_the_statement_matches_ours(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world)
    service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    _next_day(runtime)
    summary = reconcile(runtime, "alipay", DAY)
    assert (summary.lines, summary.matched, summary.settled, summary.findings) == (3, 3, 0, [])


def test_a_refund_whose_answer_was_lost_is_settled_by_the_statement(
    client, app, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    late, refund = _proposed(runtime, client, world)
    with answer_lost(app, "alipay.trade.refund"):
        assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "sending"
    _next_day(runtime)
    summary = reconcile(runtime, "alipay", DAY)
    assert (summary.lines, summary.matched, summary.settled, summary.findings) == (3, 3, 1, [])
    done = refund_of(runtime, late["id"])
    assert (done.status, done.refunded_at is not None) == ("succeeded", True)


def test_a_refund_we_never_made_is_a_difference(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    paid = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{paid['out_trade_no']}/pay")
    adapter = adapter_for("alipay", runtime)
    adapter.refund(  # type: ignore[attr-defined]
        ChannelRefund("RFSOMEONEELSE0001", paid["out_trade_no"], None, 10000, 79500, "商户后台退款", "", None)
    )
    _next_day(runtime)
    summary = reconcile(runtime, "alipay", DAY)
    assert (summary.lines, summary.matched) == (2, 1)
    assert [(f.kind, f.out_trade_no, f.statement_amount_fen, f.our_amount_fen) for f in summary.findings] == [
        ("unknown_refund", paid["out_trade_no"], 10000, None)
    ]
