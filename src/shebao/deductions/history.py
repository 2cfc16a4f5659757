"""The deductions made by a setting, newest first, as the API and the settings page show them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.deductions import schemas
from shebao.deductions.models import CANCELLED, DEDUCTION_LABELS, PLANNED, SENT, Deduction
from shebao.kit.clock import to_shanghai
from shebao.payments.models import Payment


def deductions_of(session: Session, setting_id: uuid.UUID) -> list[schemas.Deduction]:
    rows = session.execute(
        select(Deduction, Payment.eticket_no)
        .outerjoin(Payment, Payment.id == Deduction.payment_id)
        .where(Deduction.setting_id == setting_id, Deduction.status != CANCELLED)
        .order_by(Deduction.created_at.desc(), Deduction.attempt.desc())
        .limit(50)
    ).all()
    found = []
    for deduction, eticket_no in rows:
        status = SENT if deduction.status == PLANNED else deduction.status
        found.append(
            schemas.Deduction(
                id=deduction.item_id,
                fee_year=deduction.fee_year,
                status=status,
                status_label=DEDUCTION_LABELS[status],
                amount_fen=deduction.amount_fen,
                failure_reason=deduction.failure_reason,
                eticket_no=eticket_no if status == "succeeded" else None,
                bank_code=deduction.bank_code,
                run_date=deduction.run_date,
                updated_at=to_shanghai(deduction.updated_at),
            )
        )
    return found
