"""Agreement payment (协议支付) inside the payment core: which agreement may pay, the account it debits.

The agreement must be the payer's own (also when paying a family member's declaration), effective as
of the service clock, not revoked, and of the declaration's tax office. Every deduction sent is linked
to its agreement and audited on it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from shebao.agreements.errors import AgreementNotFound, AgreementNotUsable
from shebao.agreements.models import Agreement, AgreementDeduction
from shebao.agreements.repository import AgreementRepository
from shebao.agreements.rules import unusable_reason
from shebao.audit.service import Actor, record
from shebao.channels.base import ChannelDebit
from shebao.db import UnitOfWork
from shebao.declarations.models import Declaration
from shebao.identity.models import Person
from shebao.payments.models import Payment


def check_usable(
    session: Session,
    payer: Person,
    declaration: Declaration,
    agreement_id: uuid.UUID,
    today: date,
    *,
    lock: bool = False,
) -> Agreement:
    """The agreement, if it may pay this declaration today; 404 when not the payer's, 409 with the reason."""
    found = AgreementRepository(session).get(agreement_id, for_update=lock)
    if found is None or found.payer_id != payer.id:
        raise AgreementNotFound()
    reason = unusable_reason(found, declaration.tax_office_code, today)
    if reason is not None:
        raise AgreementNotUsable(reason)
    return found


def pay_view(agreement: Agreement) -> dict[str, Any]:
    """What `pay` shows of an agreement payment before the bank answers (masked)."""
    return {
        "kind": "deduction",
        "url": None,
        "params": {
            "agreement_no": agreement.agreement_no,
            "bank_code": agreement.bank_code,
            "account_no": agreement.masked_account,
        },
    }


def record_deduction(
    session: Session, payment: Payment, agreement: Agreement, *, actor: Actor, now: datetime
) -> None:
    """Link the deduction about to be sent to its agreement, and audit it there."""
    session.add(
        AgreementDeduction(
            agreement_id=agreement.id,
            payment_id=payment.id,
            msg_id=payment.out_trade_no,
            amount_fen=payment.amount_fen,
            sent_at=now,
        )
    )
    record(
        session,
        actor=actor,
        action="agreement.deduct",
        object_type="agreement",
        object_id=agreement.id,
        at=now,
        after={
            "payment_id": str(payment.id),
            "msg_id": payment.out_trade_no,
            "amount_fen": payment.amount_fen,
            "declaration_id": str(payment.declaration_id),
        },
    )


def debit_for(work: UnitOfWork, agreement_id: uuid.UUID) -> ChannelDebit:
    with work.read() as session:
        agreement = AgreementRepository(session).get(agreement_id)
        if agreement is None:  # checked usable in the step that created the payment; never deleted
            raise LookupError(f"agreement {agreement_id} is gone")
        return ChannelDebit(
            agreement_no=agreement.agreement_no,
            bank_code=agreement.bank_code,
            branch_code=agreement.branch_code,
            account_no=agreement.account_no,
            holder_name=agreement.holder_name,
            tax_office_code=agreement.tax_office_code,
        )
