from __future__ import annotations

from shebao.kit.clock import to_shanghai
from shebao.payments import schemas
from shebao.payments.models import Payment


def duplicate_label(found: Payment) -> str:
    return "已退款" if found.refund_status == "refunded" else "重复缴费，待退款"


def payment(found: Payment) -> schemas.Payment:
    return schemas.Payment(
        id=str(found.id),
        status=found.status,
        status_label=duplicate_label(found) if found.duplicate else found.status_label,
        method=found.method,
        method_label=found.method_label,
        channel=found.channel,
        amount_fen=found.amount_fen,
        out_trade_no=found.out_trade_no,
        declaration_id=str(found.declaration_id),
        for_other=found.payer_id != found.person_id,
        eticket_no=found.eticket_no,
        failure_reason=found.failure_reason,
        duplicate=found.duplicate,
        refund_status=found.refund_status,
        created_at=to_shanghai(found.created_at),
        succeeded_at=to_shanghai(found.succeeded_at) if found.succeeded_at else None,
        expires_at=to_shanghai(found.expires_at),
        pay=found.pay,
    )
