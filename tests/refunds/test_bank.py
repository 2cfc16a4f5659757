"""Refunds of duplicate agreement payments (协议支付) through the sandbox bank's refund message: money back
into the account, deduplicated by the refund's message id even when the answer is lost."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from shebao.refunds import service
from shebao.refunds.errors import RefundInvalid
from shebao.settlement.query import settle_due
from tests.support.agreements import ZHANG_CARD, balance, bank_mode, ledger, next_day, open_account, signed
from tests.support.elsewhere import feed, feed_row
from tests.support.payments import declare, load_payment, move_clock
from tests.support.people import bearer_for
from tests.support.refunds import ALICE, BOB, everywhere, refund_of

MEDICAL_FEN = 79500
START_FEN = 1_000_000


def _duplicate_by_agreement(client, world, runtime) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The bank deducts, its answer is lost (unknown); meanwhile the declaration is paid at the counter
    (the tax core's feed); the query then learns of the deduction: a duplicate to refund."""
    open_account(client, ZHANG_CARD, "张三", START_FEN)
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
    assert balance(client, ZHANG_CARD) == START_FEN - MEDICAL_FEN
    return {"id": paid["id"], "out_trade_no": paid["out_trade_no"]}


def _propose(runtime, refund_id: uuid.UUID, amount_fen: int | None = None) -> None:  # type: ignore[no-untyped-def]
    with runtime.work().step() as step:
        service.propose(
            step.session,
            refund_id,
            reason="柜台已缴，协议扣款重复",
            amount_fen=amount_fen,
            actor=ALICE,
            sees=everywhere,
            now=step.now,
        )


def test_a_duplicate_agreement_payment_is_refunded_into_the_account(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid = _duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    assert (refund.status, refund.method, refund.amount_fen) == ("pending", "agreement", MEDICAL_FEN)
    _propose(runtime, refund.id)
    done = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert done.status == "succeeded"
    assert balance(client, ZHANG_CARD) == START_FEN
    refunds = [e for e in ledger(client, ZHANG_CARD) if e["refund_of"]]
    assert [(e["msg_id"], e["refund_of"], e["amount_fen"], e["result_code"]) for e in refunds] == [
        (refund.out_refund_no, paid["out_trade_no"], MEDICAL_FEN, "0000")
    ]
    assert done.provider_refund_no == refunds[0]["serial_no"]
    assert load_payment(runtime, paid["id"]).refund_status == "refunded"


def test_a_lost_refund_answer_is_retried_and_credits_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid = _duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    _propose(runtime, refund.id)
    bank_mode(client, "timeout")  # the bank credits the account; its answer is lost
    assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "sending"
    assert balance(client, ZHANG_CARD) == START_FEN
    bank_mode(client, "normal")
    move_clock(runtime, timedelta(minutes=2))
    assert service.retry_due(runtime) == 1
    done = refund_of(runtime, paid["id"])
    assert (done.status, done.send_attempts) == ("succeeded", 2)
    assert balance(client, ZHANG_CARD) == START_FEN  # credited once
    assert len([e for e in ledger(client, ZHANG_CARD) if e["refund_of"]]) == 1


def test_a_refund_request_lost_before_the_bank_is_sent_again(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid = _duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    _propose(runtime, refund.id)
    bank_mode(client, "lost")  # the request never reaches the bank
    assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "sending"
    assert balance(client, ZHANG_CARD) == START_FEN - MEDICAL_FEN
    bank_mode(client, "normal")
    move_clock(runtime, timedelta(minutes=2))
    service.retry_due(runtime)
    assert refund_of(runtime, paid["id"]).status == "succeeded"
    assert balance(client, ZHANG_CARD) == START_FEN


def test_a_refused_refund_fails_with_the_banks_reason_and_may_be_proposed_again(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    paid = _duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    _propose(runtime, refund.id)
    bank_mode(client, "refuse", "账户已冻结")
    failed = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert (failed.status, failed.failure_reason) == ("failed", "账户已冻结")
    assert balance(client, ZHANG_CARD) == START_FEN - MEDICAL_FEN
    bank_mode(client, "normal")
    with pytest.raises(RefundInvalid):
        _propose(runtime, refund.id, amount_fen=MEDICAL_FEN + 1)
    _propose(runtime, refund.id)
    again = refund_of(runtime, paid["id"])
    assert again.status == "proposed" and again.out_refund_no != refund.out_refund_no
    assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "succeeded"
    assert balance(client, ZHANG_CARD) == START_FEN
