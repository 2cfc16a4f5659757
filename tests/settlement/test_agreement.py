"""协议支付: real-time deduction through the sandbox bank, on the payment core's state machine."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.agreements.models import AgreementDeduction
from shebao.audit.models import AuditEntry
from shebao.declarations.models import Declaration
from shebao.errors import ShebaoError
from shebao.identity.models import Person
from shebao.payments.eticket import FORMAT
from shebao.payments.models import Payment
from shebao.sandbox.bank.models import SandboxBankEntry
from shebao.settlement.open import PaymentOpener, PaymentRequest
from shebao.settlement.query import settle_due, settle_one
from tests.support.agreements import (
    CHAOYANG_OFFICE,
    LI_CARD,
    ZHANG_CARD,
    balance,
    bank_mode,
    ledger,
    next_day,
    open_account,
    signed,
)
from tests.support.payments import declare, move_clock
from tests.support.people import bearer_for

MEDICAL_FEN = 79500  # 张三, working age, 2026


def _refresh(world, runtime) -> None:  # type: ignore[no-untyped-def]
    """New sessions after the clock moved past the idle limit."""
    world.zhang_headers = bearer_for(runtime, world.zhang)
    world.li_headers = bearer_for(runtime, world.li)
    world.wang_headers = bearer_for(runtime, world.wang)


def _effective_agreement(client, world, runtime, *, balance_fen: int = 1_000_000, **overrides: Any) -> str:  # type: ignore[no-untyped-def]
    open_account(client, overrides.get("account_no", ZHANG_CARD), "张三", balance_fen)
    agreement = signed(client, world.zhang_headers, **overrides)
    assert agreement["status"] == "pending"
    next_day(runtime)
    _refresh(world, runtime)
    agreement_id: str = agreement["id"]
    return agreement_id


def _pay(client, headers, declaration_id: str, agreement_id: str | None, **extra: Any):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {
        "declaration_id": declaration_id,
        "method": "agreement",
        "agreement_id": agreement_id,
    }
    return client.post("/api/v1/payments", json=body, headers={**headers, **extra})


def _payment(runtime, payment_id: str) -> Payment:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Payment, uuid.UUID(payment_id))
        assert found is not None
        return found


def _declaration(runtime, declaration_id: str) -> Declaration:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Declaration, uuid.UUID(declaration_id))
        assert found is not None
        return found


def test_pay_by_agreement(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    answer = _pay(client, world.zhang_headers, declared["id"], agreement_id)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["status_label"], body["method"], body["amount_fen"]) == (
        "succeeded",
        "支付成功",
        "agreement",
        MEDICAL_FEN,
    )
    assert FORMAT.match(body["eticket_no"]) and body["eticket_no"].startswith("3110102")
    assert body["pay"]["kind"] == "deduction"
    assert body["pay"]["params"]["account_no"] == "622202*********0117"
    assert body["pay"]["params"]["serial_no"].startswith("BK")
    assert _declaration(runtime, declared["id"]).payment_status == "paid"
    assert balance(client, ZHANG_CARD) == 1_000_000 - MEDICAL_FEN
    [entry] = ledger(client, ZHANG_CARD)
    assert (entry["msg_id"], entry["amount_fen"], entry["result_code"]) == (
        body["out_trade_no"],
        MEDICAL_FEN,
        "0000",
    )
    with runtime.db.session() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type.in_(["payment", "declaration", "agreement"]))
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        ).all()
        link = s.scalars(select(AgreementDeduction)).one()
    assert sorted(actions) == [  # one audit row per step (rows of one transaction share their time)
        "agreement.deduct",
        "agreement.sign",
        "declaration.declare",
        "declaration.paid",
        "payment.created",
        "payment.succeeded",
    ]
    assert (str(link.agreement_id), str(link.payment_id), link.msg_id) == (
        agreement_id,
        body["id"],
        body["out_trade_no"],
    )
    again = _pay(client, world.zhang_headers, declared["id"], agreement_id)
    assert again.status_code == 409 and again.json()["error"]["message"] == "该申报已缴款，无需重复缴费"
    assert len(ledger(client, ZHANG_CARD)) == 1


def test_agreement_payment_is_offered_on_every_channel(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    offered = {
        channel: [
            m["code"]
            for m in client.get(
                "/api/v1/payment-methods", headers={**world.zhang_headers, "X-Shebao-Channel": channel}
            ).json()["items"]
        ]
        for channel in ("alipay_mp", "baidu_mp", "wechat_mp", "h5")
    }
    assert all("agreement" in methods for methods in offered.values())
    assert offered["alipay_mp"] == ["agreement", "alipay"]


def test_an_agreement_not_yet_effective_cannot_pay(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_CARD, "张三")
    agreement = signed(client, world.zhang_headers)
    declared = declare(client, world.zhang_headers)
    answer = _pay(client, world.zhang_headers, declared["id"], agreement["id"])
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "code": "agreement_not_usable",
        "message": "协议待生效，2025-11-21起可用",
    }
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0


def test_pay_after_revoke_is_refused(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    assert (
        client.post(f"/api/v1/agreements/{agreement_id}/revoke", headers=world.zhang_headers).status_code
        == 200
    )
    answer = _pay(client, world.zhang_headers, declared["id"], agreement_id)
    assert answer.status_code == 409 and answer.json()["error"]["message"] == "协议已撤销"
    assert ledger(client, ZHANG_CARD) == []


def test_the_tax_office_must_be_the_declarations(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime, tax_office_code=CHAOYANG_OFFICE)
    declared = declare(client, world.zhang_headers)
    answer = _pay(client, world.zhang_headers, declared["id"], agreement_id)
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == "协议的税务机关与申报的主管税务机关不一致"


def test_the_agreement_must_be_the_payers_own_and_named(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    li_declared = declare(client, world.li_headers)
    assert _pay(client, world.li_headers, li_declared["id"], agreement_id).status_code == 404
    declared = declare(client, world.zhang_headers)
    missing = _pay(client, world.zhang_headers, declared["id"], None)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "agreement_choice"
    alipay_with_one = client.post(
        "/api/v1/payments",
        json={"declaration_id": declared["id"], "method": "alipay", "agreement_id": agreement_id},
        headers=world.zhang_headers,
    )
    assert alipay_with_one.status_code == 422
    assert _pay(client, world.zhang_headers, declared["id"], "nope").status_code == 422


def test_paying_a_family_members_declaration_by_ones_own_agreement(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers, payer_id=world.li_family_id)
    body = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert (body["status"], body["for_other"], body["amount_fen"]) == ("succeeded", True, 46000)
    found = _payment(runtime, body["id"])
    assert (found.payer_id, found.person_id) == (world.zhang.id, world.li.id)
    assert balance(client, ZHANG_CARD) == 1_000_000 - 46000
    assert client.get(f"/api/v1/payments/{body['id']}", headers=world.li_headers).status_code == 200
    # The member's own agreement is the member's: the payer cannot deduct by it.
    open_account(client, LI_CARD, "李四")
    li_agreement = signed(client, world.li_headers, account_no=LI_CARD, holder="李四")
    other = declare(client, world.zhang_headers, scheme="resident_pension", payer_id=world.li_family_id)
    assert _pay(client, world.zhang_headers, other["id"], li_agreement["id"]).status_code == 404


def test_insufficient_balance_fails_with_the_banks_reason_then_a_new_payment_works(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime, balance_fen=50000)
    declared = declare(client, world.zhang_headers)
    answer = _pay(client, world.zhang_headers, declared["id"], agreement_id)
    assert answer.status_code == 201
    body = answer.json()
    assert (body["status"], body["status_label"], body["failure_reason"]) == (
        "failed",
        "支付失败",
        "余额不足",
    )
    assert _declaration(runtime, declared["id"]).payment_status == "unpaid"
    # The result page says why, how much and for what, so the payer knows what to top up.
    shown = client.get(f"/payments/{body['id']}/result", headers=world.zhang_headers).text
    for text in [
        "支付失败",
        "余额不足。",
        "¥795.00",
        "城乡居民基本医疗保险",
        "2026-01 至 2026-12",
        "协议支付",
    ]:
        assert text in shown, text
    assert balance(client, ZHANG_CARD) == 50000
    assert [e["result_message"] for e in ledger(client, ZHANG_CARD)] == ["余额不足"]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "payment.failed")) == 1
    open_account(client, ZHANG_CARD, "张三", 100000)
    again = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert again["status"] == "succeeded" and balance(client, ZHANG_CARD) == 100000 - MEDICAL_FEN


def test_bank_refusals_become_clear_messages(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    with runtime.db.session() as s:
        agreement_no = s.scalars(select(AgreementDeduction.msg_id)).first()
    del agreement_no
    open_account(client, ZHANG_CARD, "张叁")  # the bank's holder changed after signing
    mismatch = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert (mismatch["status"], mismatch["failure_reason"]) == ("failed", "账号与户名不符")
    open_account(client, ZHANG_CARD, "张三")
    bank_mode(client, "refuse", "账户已挂失")
    refused = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert refused["failure_reason"] == "账户已挂失"
    bank_mode(client, "normal")
    number = client.get(f"/api/v1/agreements/{agreement_id}", headers=world.zhang_headers).json()[
        "agreement_no"
    ]
    assert (
        client.post(f"/sandbox/bank/agreements/{number}/revoke").status_code == 200
    )  # at the bank's counter
    gone = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert gone["failure_reason"] == "协议不存在或已撤销"
    assert balance(client, ZHANG_CARD) == 1_000_000
    assert _declaration(runtime, declared["id"]).payment_status == "unpaid"


def test_non_working_hours(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    bank_mode(client, "closed")
    body = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert (body["status"], body["failure_reason"]) == ("failed", "银行系统维护中，请稍后再试")
    assert ledger(client, ZHANG_CARD) == []
    bank_mode(client, "normal")
    assert _pay(client, world.zhang_headers, declared["id"], agreement_id).json()["status"] == "succeeded"


def test_a_timeout_is_unknown_until_the_query_settles_it_and_never_deducts_twice(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    bank_mode(client, "timeout")  # the bank deducts; its answer is lost
    body = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert (body["status"], body["status_label"]) == ("unknown", "缴费结果确认中")
    assert balance(client, ZHANG_CARD) == 1_000_000 - MEDICAL_FEN
    bank_mode(client, "normal")
    second = _pay(client, world.zhang_headers, declared["id"], agreement_id)
    assert second.status_code == 409 and second.json()["error"]["message"] == "缴费结果确认中，请稍后再试"
    void = client.post(f"/api/v1/declarations/{declared['id']}/void", headers=world.zhang_headers)
    assert void.status_code == 409
    assert settle_due(runtime) == 0  # the first query waits for a bank that may still be finishing
    assert settle_one(runtime, uuid.UUID(body["id"])).status == "unknown"  # so does the result page's
    move_clock(runtime, timedelta(seconds=16))
    assert settle_due(runtime) == 1
    found = _payment(runtime, body["id"])
    assert (found.status, found.duplicate) == ("succeeded", False) and found.eticket_no
    assert _declaration(runtime, declared["id"]).payment_status == "paid"
    assert len(ledger(client, ZHANG_CARD)) == 1 and balance(client, ZHANG_CARD) == 1_000_000 - MEDICAL_FEN


def test_a_lost_request_is_closed_by_the_query_then_paid_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    bank_mode(client, "lost")  # the message never reaches the bank
    body = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert body["status"] == "unknown"
    bank_mode(client, "normal")
    move_clock(runtime, timedelta(seconds=16))
    _refresh(world, runtime)
    assert settle_due(runtime) == 1
    assert _payment(runtime, body["id"]).status == "closed"
    assert _pay(client, world.zhang_headers, declared["id"], agreement_id).json()["status"] == "succeeded"
    assert len(ledger(client, ZHANG_CARD)) == 1 and balance(client, ZHANG_CARD) == 1_000_000 - MEDICAL_FEN


def test_a_deduction_sent_before_revoking_still_settles(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    bank_mode(client, "timeout")
    body = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    bank_mode(client, "normal")
    assert (
        client.post(f"/api/v1/agreements/{agreement_id}/revoke", headers=world.zhang_headers).status_code
        == 200
    )
    move_clock(runtime, timedelta(seconds=16))
    settle_due(runtime)
    assert _payment(runtime, body["id"]).status == "succeeded"
    assert _declaration(runtime, declared["id"]).payment_status == "paid"


def test_an_open_alipay_payment_is_closed_before_the_deduction(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    first = client.post(
        "/api/v1/payments",
        json={"declaration_id": declared["id"], "method": "alipay"},
        headers=world.zhang_headers,
    ).json()
    body = _pay(client, world.zhang_headers, declared["id"], agreement_id).json()
    assert body["status"] == "succeeded"
    assert _payment(runtime, first["id"]).status == "closed"
    assert client.get(f"/sandbox/alipay/trades/{first['out_trade_no']}").json()["status"] == "TRADE_CLOSED"


def test_idempotency_key_answers_the_first_deduction(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    first = _pay(client, world.zhang_headers, declared["id"], agreement_id, **{"Idempotency-Key": "a-1"})
    again = _pay(client, world.zhang_headers, declared["id"], agreement_id, **{"Idempotency-Key": "a-1"})
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert len(ledger(client, ZHANG_CARD)) == 1


@pytest.mark.postgres_only
def test_twenty_concurrent_agreement_payments_deduct_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    agreement_id = _effective_agreement(client, world, runtime)
    declared = declare(client, world.zhang_headers)
    with runtime.db.session() as s:
        payer = s.get(Person, world.zhang.id)
    request = PaymentRequest(
        declaration_id=uuid.UUID(declared["id"]), method="agreement", agreement_id=uuid.UUID(agreement_id)
    )
    barrier = threading.Barrier(20)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait(timeout=20)
        try:
            outcome: object = PaymentOpener(runtime, payer, channel="h5").open(request).status  # type: ignore[arg-type]
        except ShebaoError as error:
            outcome = error.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 20 and outcomes.count("succeeded") == 1
    assert set(outcomes) <= {"succeeded", "payment_result_pending", "declaration_already_paid"}
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(SandboxBankEntry)) == 1
        assert s.scalar(select(func.count()).select_from(Payment)) == 1
    assert balance(client, ZHANG_CARD) == 1_000_000 - MEDICAL_FEN
    assert _declaration(runtime, declared["id"]).payment_status == "paid"
