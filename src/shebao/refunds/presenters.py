"""Refunds → the console's views (personal data masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shebao.identity.models import Person
from shebao.kit.clock import to_shanghai
from shebao.payments.models import METHOD_LABELS, Payment
from shebao.payments.refunds import ORIGIN_LABELS, Refund
from shebao.refunds import schemas


def _local(moment: datetime | None) -> datetime | None:
    return to_shanghai(moment) if moment else None


def _payer_name(session: Session, payment: Payment | None) -> str:
    person = session.get(Person, payment.person_id) if payment else None
    return person.masked_name if person else ""


def item(session: Session, refund: Refund) -> schemas.RefundItem:
    payment = session.get(Payment, refund.payment_id)
    return schemas.RefundItem(**_item_fields(session, refund, payment))


def _item_fields(session: Session, refund: Refund, payment: Payment | None) -> dict[str, Any]:
    return {
        "id": str(refund.id),
        "status": refund.status,
        "status_label": refund.status_label,
        "payment_id": str(refund.payment_id),
        "method": refund.method,
        "method_label": METHOD_LABELS.get(refund.method, refund.method),
        "amount_fen": refund.amount_fen,
        "tax_office_code": refund.tax_office_code,
        "payer_name": _payer_name(session, payment),
        "reason": refund.reason,
        "proposed_by": refund.proposed_by,
        "approved_by": refund.approved_by,
        "created_at": to_shanghai(refund.created_at),
    }


def detail(session: Session, refund: Refund) -> schemas.RefundDetail:
    payment = session.get(Payment, refund.payment_id)
    return schemas.RefundDetail(
        **_item_fields(session, refund, payment),
        origin=refund.origin,
        origin_label=ORIGIN_LABELS.get(refund.origin, refund.origin),
        out_refund_no=refund.out_refund_no,
        out_trade_no=payment.out_trade_no if payment else "",
        payment_amount_fen=payment.amount_fen if payment else 0,
        paid_at=_local(payment.succeeded_at if payment else None),
        proposed_at=_local(refund.proposed_at),
        approved_at=_local(refund.approved_at),
        provider_refund_no=refund.provider_refund_no,
        failure_reason=refund.failure_reason,
        refunded_at=_local(refund.refunded_at),
        send_attempts=refund.send_attempts,
    )
