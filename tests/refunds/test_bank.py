"""Refunds of duplicate agreement payments (协议支付) through the sandbox bank's refund message: money back
into the account, deduplicated by the refund's message id even when the answer is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shebao.refunds import service
from shebao.refunds.errors import RefundInvalid
from tests.support.agreements import ZHANG_CARD, balance, bank_mode, ledger
from tests.support.payments import load_payment, move_clock
from tests.support.refunds import (
    AGREEMENT_START_FEN,
    BOB,
    duplicate_by_agreement,
    everywhere,
    propose,
    refund_of,
)

MEDICAL_FEN = 79500
START_FEN = AGREEMENT_START_FEN


def test_a_duplicate_agreement_payment_is_refunded_into_the_account(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    paid = duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    assert (refund.status, refund.method, refund.amount_fen) == ("pending", "agreement", MEDICAL_FEN)
    propose(runtime, refund.id, reason="柜台已缴，协议扣款重复")
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
    paid = duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    propose(runtime, refund.id, reason="柜台已缴，协议扣款重复")
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
    paid = duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    propose(runtime, refund.id, reason="柜台已缴，协议扣款重复")
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
    paid = duplicate_by_agreement(client, world, runtime)
    refund = refund_of(runtime, paid["id"])
    propose(runtime, refund.id, reason="柜台已缴，协议扣款重复")
    bank_mode(client, "refuse", "账户已冻结")
    failed = service.approve(runtime, refund.id, actor=BOB, sees=everywhere)
    assert (failed.status, failed.failure_reason) == ("failed", "账户已冻结")
    assert balance(client, ZHANG_CARD) == START_FEN - MEDICAL_FEN
    bank_mode(client, "normal")
    with pytest.raises(RefundInvalid):
        propose(runtime, refund.id, amount_fen=MEDICAL_FEN + 1)
    propose(runtime, refund.id, reason="柜台已缴，协议扣款重复")
    again = refund_of(runtime, paid["id"])
    assert again.status == "proposed" and again.out_refund_no != refund.out_refund_no
    assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "succeeded"
    assert balance(client, ZHANG_CARD) == START_FEN
