"""Apply an outcome to a payment: the one path by which money moves a declaration to paid.

Every change is made with the declaration and the payment locked (settlement.lock). A success is
applied once; a success for a declaration that is already paid (or voided) is recorded as a duplicate
to refund, never lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.db import after_commit
from shebao.declarations import states as declaration_states
from shebao.declarations.models import SUCCEEDED as DECLARATION_SUCCEEDED
from shebao.declarations.models import UNPAID, Declaration
from shebao.declarations.repository import DeclarationRepository
from shebao.kit import wakeups
from shebao.payables import states as payable_states
from shebao.payments import states
from shebao.payments.eticket import new_eticket_no
from shebao.payments.models import CLOSED, FAILED, SUCCEEDED, Payment
from shebao.payments.refunds import open_refund
from shebao.reference.models import TaxOffice
from shebao.settlement.lock import lock_payment

PROVIDER = Actor("provider")


def outcome_key(payment_id: uuid.UUID) -> str:
    """What a request waiting for the payment's outcome waits on (`GET /api/v1/payments/{id}?wait=`)."""
    return f"payment:{payment_id}"


def _wake_after_commit(session: Session, payment: Payment) -> None:
    key = outcome_key(payment.id)
    after_commit(session, lambda: wakeups.board.wake(key))


def do_mark_paid(session: Session, declaration: Declaration, *, at: datetime) -> None:
    """With the declaration locked, inside the step that settles its payment."""
    declaration_states.mark_paid(declaration)
    declaration.paid_at = at
    for payable in DeclarationRepository(session).payables_of(declaration):
        payable_states.pay(payable, at)


def _eticket(session: Session, payment: Payment, region_code: str, at: datetime) -> str:
    while True:
        number = new_eticket_no(region_code, at)
        if session.scalar(select(Payment.id).where(Payment.eticket_no == number)) is None:
            return number


def apply_success(
    session: Session,
    payment: Payment,
    *,
    provider_trade_no: str | None,
    paid_at: datetime | None,
    now: datetime,
    actor: Actor = PROVIDER,
    eticket_no: str | None = None,
) -> Payment:
    """`eticket_no`: the tax core's own number for a payment made elsewhere; otherwise one is issued."""
    declaration, payment = lock_payment(session, payment.id)
    if payment.status == SUCCEEDED:
        return payment
    before = payment.status
    succeeded_at = paid_at or now
    pays = declaration.status == DECLARATION_SUCCEEDED and declaration.payment_status == UNPAID
    if pays and eticket_no is None:  # numbered before the payment changes: one UPDATE of it, not two
        office = session.get(TaxOffice, declaration.tax_office_code)
        eticket_no = _eticket(session, payment, office.region_code if office else "", succeeded_at)
    states.move(payment, SUCCEEDED)
    payment.close_pending = False
    payment.provider_trade_no = provider_trade_no or payment.provider_trade_no
    payment.succeeded_at = succeeded_at
    payment.updated_at = now
    payment.next_query_at = None
    if pays:
        payment.eticket_no = eticket_no
        do_mark_paid(session, declaration, at=now)
        record(
            session,
            actor=actor,
            action="declaration.paid",
            object_type="declaration",
            object_id=declaration.id,
            at=now,
            before={"payment_status": UNPAID},
            after={"payment_status": "paid", "payment_id": str(payment.id)},
        )
        action = "payment.succeeded"
    else:
        payment.duplicate = True
        payment.refund_status = "to_refund"
        open_refund(session, payment, tax_office_code=declaration.tax_office_code, now=now, actor=actor)
        action = "payment.duplicate"
    record(
        session,
        actor=actor,
        action=action,
        object_type="payment",
        object_id=payment.id,
        at=now,
        before={"status": before},
        after={"status": SUCCEEDED, "eticket_no": payment.eticket_no, "duplicate": payment.duplicate},
    )
    _wake_after_commit(session, payment)
    return payment


def apply_end(
    session: Session,
    payment: Payment,
    target: str,
    *,
    now: datetime,
    reason: str | None = None,
    actor: Actor = PROVIDER,
) -> Payment:
    """Closed or failed: only from an open state; a repeat (or a later close of a success) changes nothing."""
    _, payment = lock_payment(session, payment.id)
    if payment.status == target or not states.can_move(payment, target):
        payment.close_pending = payment.close_pending and payment.status != CLOSED
        return payment
    before = payment.status
    states.move(payment, target)
    payment.close_pending = False
    payment.next_query_at = None
    payment.updated_at = now
    if target == FAILED:
        payment.failure_reason = reason or "支付失败"
    record(
        session,
        actor=actor,
        action=f"payment.{target}",
        object_type="payment",
        object_id=payment.id,
        at=now,
        before={"status": before},
        after={"status": target, "reason": reason},
    )
    _wake_after_commit(session, payment)
    return payment


__all__ = ["CLOSED", "FAILED", "apply_end", "apply_success"]
