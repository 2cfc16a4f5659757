"""Batch deduction end to end against the sandbox bank (its signed batch and result files, in-process)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.agreements.models import Agreement
from shebao.audit.models import AuditEntry
from shebao.declarations.models import Declaration
from shebao.deductions.exchange import prepare
from shebao.deductions.models import Deduction, DeductionBatch
from shebao.deductions.plan import plan
from shebao.deductions.run import _start, collect_all, run
from shebao.payables.models import Payable
from shebao.payments.models import Payment
from shebao.sandbox.models import SandboxSms
from tests.support.agreements import ZHANG_CARD, balance, ledger, open_account
from tests.support.deductions import SETTINGS, agreements, create
from tests.support.payments import move_clock
from tests.support.people import bearer_for

DAY = date(2025, 11, 21)


@pytest.fixture
def ids(client, runtime, world, routed) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return agreements(client, runtime, world)


def _payments(runtime) -> list[Payment]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return list(s.scalars(select(Payment).order_by(Payment.amount_fen)))


def _statuses(runtime, person_id) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return {p.scheme: p.status for p in s.scalars(select(Payable).where(Payable.person_id == person_id))}


def test_a_run_declares_deducts_and_pays_once(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    pension = create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)
    medical = create(
        client,
        world.zhang_headers,
        ids["zhang"],
        scheme="resident_medical",
        annual_amount_fen=None,
        valid_from=2026,
    )
    summary = run(runtime, DAY)
    assert summary.planned_now == 2
    assert summary.total("succeeded") == (2, 379_500)
    assert summary.total("failed") == (0, 0)
    assert balance(client, ZHANG_CARD) == 10_000_000 - 379_500
    payments = _payments(runtime)
    assert [(p.method, p.channel, p.status, p.amount_fen, p.duplicate) for p in payments] == [
        ("agreement", "batch", "succeeded", 79_500, False),
        ("agreement", "batch", "succeeded", 300_000, False),
    ]
    assert all(p.eticket_no and p.eticket_no.startswith("3110102251121") for p in payments)
    assert sorted(e["msg_id"] for e in ledger(client, ZHANG_CARD)) == sorted(p.out_trade_no for p in payments)
    assert _statuses(runtime, world.li.id)["resident_pension"] == "paid"
    assert _statuses(runtime, world.zhang.id)["resident_medical"] == "paid"
    with runtime.db.session() as s:
        declared = s.scalars(select(Declaration).order_by(Declaration.total_fen)).all()
        assert [(d.channel, d.status, d.payment_status, d.total_fen, d.declared_by_id) for d in declared] == [
            ("batch", "succeeded", "paid", 79_500, world.zhang.id),
            ("batch", "succeeded", "paid", 300_000, world.zhang.id),
        ]
    shown = client.get(f"{SETTINGS}/{pension['id']}", headers=world.zhang_headers).json()["deductions"]
    assert [(d["fee_year"], d["status"], d["amount_fen"], d["failure_reason"]) for d in shown] == [
        (2025, "succeeded", 300_000, None)
    ]
    assert shown[0]["eticket_no"] == payments[1].eticket_no
    records = client.get(
        "/api/v1/payment-records", params={"scheme": "resident_medical"}, headers=world.zhang_headers
    )
    assert records.status_code == 200
    # The same date again: nothing twice.
    again = run(runtime, DAY)
    assert again.planned_now == 0 and again.total("succeeded") == (2, 379_500)
    assert balance(client, ZHANG_CARD) == 10_000_000 - 379_500
    assert len(_payments(runtime)) == 2
    assert medical["id"]


def _li_pension(client, world, ids) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id, valid_to=2025)


def _texts(runtime) -> list[str]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        return [m.text for m in s.scalars(select(SandboxSms).order_by(SandboxSms.sent_at))]


def test_void_then_run_deducts_nothing(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    setting = _li_pension(client, world, ids)
    assert client.post(f"{SETTINGS}/{setting['id']}/void", headers=world.li_headers).status_code == 200
    summary = run(runtime, DAY)
    assert (summary.planned_now, summary.lines) == (0, [])
    assert balance(client, ZHANG_CARD) == 10_000_000 and ledger(client, ZHANG_CARD) == []
    assert _payments(runtime) == [] and _statuses(runtime, world.li.id)["resident_pension"] == "to_declare"


def test_an_agreement_revoked_at_the_bank_fails_with_its_reason(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    setting = _li_pension(client, world, ids)
    with runtime.db.session() as s:
        number = s.scalar(select(Agreement.agreement_no).where(Agreement.id == uuid.UUID(ids["zhang"])))
    assert (
        client.post(f"/sandbox/bank/agreements/{number}/revoke").status_code == 200
    )  # at the bank's counter
    summary = run(runtime, DAY)
    assert summary.total("failed") == (1, 300_000) and summary.total("succeeded") == (0, 0)
    assert [(line.reason, line.count) for line in summary.lines] == [("协议已撤销", 1)]
    shown = client.get(f"{SETTINGS}/{setting['id']}", headers=world.zhang_headers).json()["deductions"]
    assert [(d["status"], d["failure_reason"], d["eticket_no"]) for d in shown] == [
        ("failed", "协议已撤销", None)
    ]
    [payment] = _payments(runtime)
    assert (payment.status, payment.failure_reason, payment.channel) == ("failed", "协议已撤销", "batch")
    assert balance(client, ZHANG_CARD) == 10_000_000
    assert _texts(runtime) == [
        "【社保费】您为*四设置的城乡居民养老保险2025年度批量扣款未成功（3000元）：协议已撤销。"
        "可在缴费期内自行缴费，或处理后等待下次批扣。"
    ]


def test_insufficient_balance_leaves_it_payable_in_real_time(client, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    ids = agreements(client, runtime, world, zhang_fen=100_000)
    _li_pension(client, world, ids)
    summary = run(runtime, DAY)
    assert [(line.status, line.reason, line.count, line.amount_fen) for line in summary.lines] == [
        ("failed", "余额不足", 1, 300_000)
    ]
    assert _statuses(runtime, world.li.id)["resident_pension"] == "declared"  # still payable
    with runtime.db.session() as s:
        declaration = s.scalars(select(Declaration)).one()
    assert (declaration.status, declaration.payment_status) == ("succeeded", "unpaid")
    open_account(client, ZHANG_CARD, "张三", 1_000_000)  # the payer tops up, then pays it in real time
    paid = client.post(
        "/api/v1/payments",
        json={"declaration_id": str(declaration.id), "method": "agreement", "agreement_id": ids["zhang"]},
        headers=world.zhang_headers,
    )
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["amount_fen"]) == ("succeeded", 300_000)
    assert _statuses(runtime, world.li.id)["resident_pension"] == "paid"
    assert balance(client, ZHANG_CARD) == 700_000
    assert run(runtime, date(2025, 11, 22)).planned_now == 0  # nothing left to deduct


def test_a_failed_item_is_tried_again_by_the_next_days_run(client, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    ids = agreements(client, runtime, world, zhang_fen=100_000)
    setting = _li_pension(client, world, ids)
    run(runtime, DAY)
    assert run(runtime, DAY).planned_now == 0  # no retry within the day
    open_account(client, ZHANG_CARD, "张三", 1_000_000)
    move_clock(runtime, timedelta(days=1))
    again = run(runtime, date(2025, 11, 22))
    assert again.planned_now == 1 and again.total("succeeded") == (1, 300_000)
    with runtime.db.session() as s:
        attempts = s.scalars(select(Deduction).order_by(Deduction.attempt)).all()
        assert [(d.attempt, d.status) for d in attempts] == [(1, "failed"), (2, "succeeded")]
        assert attempts[0].deduction_no == attempts[1].deduction_no
        assert attempts[0].item_id != attempts[1].item_id
        assert attempts[0].declaration_id == attempts[1].declaration_id  # the same declaration, paid now
        assert s.scalar(select(func.count()).select_from(Declaration)) == 1
    shown = client.get(f"{SETTINGS}/{setting['id']}", headers=bearer_for(runtime, world.zhang)).json()[
        "deductions"
    ]
    assert [d["status"] for d in shown] == ["succeeded", "failed"]
    assert balance(client, ZHANG_CARD) == 700_000


def test_a_late_share_is_sent_until_the_bank_answers_it(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/sandbox/bank/controls", json={"mode": "normal", "batch_late_percent": 100})
    assert answer.status_code == 200 and answer.json()["batch_late_percent"] == 100
    setting = _li_pension(client, world, ids)
    summary = run(runtime, DAY)
    assert summary.total("sent") == (1, 300_000)
    shown = client.get(f"{SETTINGS}/{setting['id']}", headers=world.zhang_headers).json()["deductions"]
    assert [(d["status"], d["status_label"]) for d in shown] == [("sent", "已发送银行")]
    # While it is out, the declaration is neither paid again nor voided.
    with runtime.db.session() as s:
        declaration_id = s.scalar(select(Declaration.id))
    again = client.post(
        "/api/v1/payments",
        json={"declaration_id": str(declaration_id), "method": "agreement", "agreement_id": ids["zhang"]},
        headers=world.zhang_headers,
    )
    assert again.status_code == 409
    assert (
        client.post(f"/api/v1/declarations/{declaration_id}/void", headers=world.zhang_headers).status_code
        == 409
    )
    # Voiding the setting now does not lose the deduction already sent.
    assert client.post(f"{SETTINGS}/{setting['id']}/void", headers=world.zhang_headers).status_code == 200
    assert collect_all(runtime) == []  # not yet answered
    move_clock(runtime, timedelta(minutes=31))
    assert collect_all(runtime) == []
    assert _statuses(runtime, world.li.id)["resident_pension"] == "paid"
    assert balance(client, ZHANG_CARD) == 10_000_000 - 300_000
    shown = client.get(f"{SETTINGS}/{setting['id']}", headers=bearer_for(runtime, world.zhang)).json()
    assert (shown["status"], [d["status"] for d in shown["deductions"]]) == ("voided", ["succeeded"])


def _payment_history(runtime, payment_id) -> list[tuple[str, Any, Any]]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "payment", AuditEntry.object_id == str(payment_id))
            .order_by(AuditEntry.occurred_at)
        )
        return [(e.action, (e.before or {}).get("status"), (e.after or {}).get("status")) for e in found]


def test_a_batch_payment_is_created_pending_in_its_banks_batch(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    _li_pension(client, world, ids)
    run(runtime, DAY)
    [payment] = _payments(runtime)
    assert _payment_history(runtime, payment.id) == [
        ("payment.created", None, "pending"),
        ("payment.succeeded", "pending", "succeeded"),
    ]


def test_a_setting_voided_after_planning_is_cancelled_before_its_batch_is_sent(
    client, runtime, world, ids
) -> None:  # type: ignore[no-untyped-def]
    setting = _li_pension(client, world, ids)
    run_id = _start(runtime, DAY)
    assert plan(runtime, run_id, DAY) == 1
    with runtime.db.session() as s:
        [batch] = s.scalars(select(DeductionBatch)).all()
        assert (batch.status, batch.item_count) == ("planning", 0)
        assert s.scalars(select(Deduction.batch_id)).all() == [batch.id]
    assert client.post(f"{SETTINGS}/{setting['id']}/void", headers=world.li_headers).status_code == 200
    prepare(runtime, run_id, DAY)
    [payment] = _payments(runtime)
    assert payment.status == "closed"
    assert _payment_history(runtime, payment.id) == [
        ("payment.created", None, "pending"),
        ("payment.closed", "pending", "closed"),
    ]
    with runtime.db.session() as s:
        assert s.scalars(select(DeductionBatch)).all() == []  # left empty: dropped
        [deduction] = s.scalars(select(Deduction)).all()
        assert (deduction.status, deduction.batch_id, deduction.failure_reason) == (
            "cancelled",
            None,
            "缴费金额设置已作废",
        )
    summary = run(runtime, DAY)
    assert summary.total("sent") == (0, 0) and summary.total("succeeded") == (0, 0)
    assert balance(client, ZHANG_CARD) == 10_000_000 and ledger(client, ZHANG_CARD) == []
