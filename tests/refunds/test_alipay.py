"""Refunds of duplicate Alipay payments end to end: maker-checker, `alipay.trade.refund` against the Alipay
sandbox, the payer's record, a retry after a lost answer that never refunds twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.payments.refunds import Refund
from shebao.refunds import service
from shebao.refunds.errors import ProposerCannotApprove, RefundConflict, RefundInvalid, RefundNotFound
from tests.support.payments import load_declaration, load_payment, move_clock
from tests.support.refunds import ALICE, BOB, answer_lost, duplicate_by_alipay, everywhere, propose, refund_of


def _audit_actions(runtime, refund_id: uuid.UUID) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        rows = s.execute(
            select(AuditEntry.action, AuditEntry.actor_id)
            .where(AuditEntry.object_type == "refund", AuditEntry.object_id == str(refund_id))
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
        return [(action, actor) for action, actor in rows]


def test_a_duplicate_is_flagged_with_its_pending_refund(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    assert (refund.status, refund.method, refund.amount_fen, refund.origin) == (
        "pending",
        "alipay",
        79500,
        "duplicate",
    )
    assert refund.tax_office_code == load_declaration(runtime, late["declaration_id"]).tax_office_code
    assert _audit_actions(runtime, refund.id) == [("refund.opened", None)]


def test_propose_approve_refunds_at_the_sandbox_and_the_record_shows_it(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    proposed = propose(runtime, refund.id)
    assert (proposed.status, proposed.proposed_by, proposed.reason) == (
        "proposed",
        "alice",
        "重复缴费，原路退回",
    )

    done = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)

    assert (done.status, done.approved_by, done.send_attempts) == ("succeeded", "bob", 1)
    trade = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}").json()
    assert done.provider_refund_no == trade["trade_no"]
    ledger = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()
    assert ledger["refunded_fen"] == 79500
    assert [(r["out_request_no"], r["amount_fen"]) for r in ledger["items"]] == [
        (refund.out_refund_no, 79500)
    ]
    assert load_payment(runtime, late["id"]).refund_status == "refunded"
    shown = client.get(f"/api/v1/payments/{late['id']}", headers=world.zhang_headers).json()
    assert (shown["status"], shown["status_label"], shown["refund_status"]) == (
        "succeeded",
        "已退款",
        "refunded",
    )
    records = client.get("/api/v1/payment-records", headers=world.zhang_headers).json()["items"]
    assert sorted((r["duplicate"], r["refund_status"]) for r in records) == [
        (False, None),
        (True, "refunded"),
    ]
    page = client.get("/records/medical", headers=world.zhang_headers)
    assert page.status_code == 200 and "已退款" in page.text
    assert _audit_actions(runtime, refund.id) == [
        ("refund.opened", None),
        ("refund.proposed", "alice"),
        ("refund.sending", "bob"),
        ("refund.succeeded", None),
    ]


def test_the_proposer_never_approves(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    propose(runtime, refund.id)
    with pytest.raises(ProposerCannotApprove) as refused:
        service.approve(runtime, refund.id, actor=ALICE, sees=everywhere)
    assert refused.value.status_code == 409
    assert refund_of(runtime, late["id"]).status == "proposed"
    assert client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()["items"] == []


def test_a_second_approval_is_a_conflict_and_refunds_nothing_more(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    propose(runtime, refund.id)
    service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    with pytest.raises(RefundConflict) as refused:
        service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert refused.value.status_code == 409 and "不能重复审核" in refused.value.detail
    assert len(client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()["items"]) == 1


def test_an_unproposed_refund_cannot_be_approved(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    with pytest.raises(RefundConflict):
        service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert refund_of(runtime, late["id"]).status == "pending"


def test_an_amount_above_the_payment_and_an_empty_reason_are_refused(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    with pytest.raises(RefundInvalid) as above:
        propose(runtime, refund.id, amount_fen=79501)
    assert (
        above.value.status_code == 422 and above.value.detail == "退费金额应大于0且不超过原缴款金额 ¥795.00"
    )
    with pytest.raises(RefundInvalid) as empty:
        propose(runtime, refund.id, reason="   ")
    assert empty.value.detail == "请填写退费原因"
    found = refund_of(runtime, late["id"])
    assert (found.status, found.amount_fen, found.reason) == ("pending", 79500, None)


def test_another_offices_refund_is_not_found(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    with runtime.work().step() as step, pytest.raises(RefundNotFound):
        service.propose(
            step.session,
            refund.id,
            reason="x",
            amount_fen=None,
            actor=ALICE,
            sees=lambda _code: False,
            now=step.now,
        )
    assert refund_of(runtime, late["id"]).status == "pending"


def test_a_lost_answer_is_sent_again_under_the_same_id_and_refunds_once(
    client, app, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    propose(runtime, refund.id)
    with answer_lost(app, "alipay.trade.refund") as calls:
        sent = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
        assert (sent.status, sent.answer) == ("sending", {"status": "unknown"})
        ledger = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()
        assert ledger["refunded_fen"] == 79500  # the sandbox acted: only its answer was lost
        assert service.retry_due(runtime) == 0  # not due yet: the next try waits its backoff
        move_clock(runtime, timedelta(minutes=2))
        assert service.retry_due(runtime) == 1
        assert calls.count("alipay.trade.refund") == 2
    done = refund_of(runtime, late["id"])
    assert (done.status, done.send_attempts, done.out_refund_no) == ("succeeded", 2, refund.out_refund_no)
    ledger = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()
    assert (ledger["refunded_fen"], len(ledger["items"])) == (79500, 1)
    assert load_payment(runtime, late["id"]).refund_status == "refunded"


def test_the_worker_leaves_a_finished_refund_alone(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    propose(runtime, refund.id)
    service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    move_clock(runtime, timedelta(hours=2))
    assert service.retry_due(runtime) == 0
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Refund)) == 1


def test_ops_refunds_lists_them_by_status(client, world, runtime, routed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from shebao.cli import app
    from shebao.config import get_settings

    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    monkeypatch.setenv("SHEBAO_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("SHEBAO_SECRET_KEY", runtime.settings.secret_key)
    get_settings.cache_clear()
    try:
        listed = CliRunner().invoke(app, ["ops", "refunds"])
        assert listed.exit_code == 0, listed.output
        lines = listed.output.splitlines()
        assert lines[-1] == "退费 1 笔"
        assert lines[0].endswith(
            f"  待退款  支付宝  {late['out_trade_no']}  ¥795.00  *三 110101********1823  退费 {refund.id}"
        )
        assert CliRunner().invoke(app, ["ops", "refunds", "--status", "succeeded"]).output == "退费 0 笔\n"
        assert CliRunner().invoke(app, ["ops", "refunds", "--status", "nonsense"]).exit_code == 2
    finally:
        get_settings.cache_clear()
