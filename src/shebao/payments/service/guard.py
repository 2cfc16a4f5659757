"""Checks other domains run against a declaration's payments."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shebao.declarations.models import Declaration
from shebao.payments import errors
from shebao.payments.models import UNKNOWN
from shebao.payments.repository import PaymentRepository


def check_no_payment_in_flight(session: Session, declaration: Declaration) -> None:
    """A void waits while a payment may still succeed: open, unknown, or its close not confirmed."""
    for payment in PaymentRepository(session).of_declaration(declaration.id):
        if payment.is_open or payment.status == UNKNOWN or payment.close_pending:
            raise errors.ResultPending("缴费结果确认中，暂不能作废")
