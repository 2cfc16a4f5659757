"""Refunds (退费) of money we hold without a declaration to pay: the model, its transition table, and the
one way a refund is opened — by the settlement core, in the step that flags the duplicate (decision 0015).

The refund domain (`shebao.refunds`) proposes, approves and sends them; the model sits here, below the
settlement core, so that no duplicate payment is ever committed without its `pending` refund.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Uuid, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shebao.audit.service import Actor, record
from shebao.channels.base import RefundState
from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id
from shebao.logging import log
from shebao.payments.models import Payment
from shebao.payments.repository import PaymentRepository

PENDING: Final = "pending"  # 待退款: flagged, waiting for an operator's proposal
PROPOSED: Final = "proposed"  # 待审核: proposed with a reason, waiting for another person's approval
SENDING: Final = "sending"  # 退款处理中: approved and sent; the provider's answer is not final yet
SUCCEEDED: Final = "succeeded"  # 已退款
FAILED: Final = "failed"  # 退款失败: refused for good; may be proposed again (a new refund request id)
STATUS_LABELS: Final = {
    PENDING: "待退款",
    PROPOSED: "待审核",
    SENDING: "退款处理中",
    SUCCEEDED: "已退款",
    FAILED: "退款失败",
}
ORIGIN_LABELS: Final = {
    "duplicate": "重复缴费",
    "migrated": "重复缴费（历史数据）",
}

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    PROPOSED: frozenset({PENDING, FAILED}),
    SENDING: frozenset({PROPOSED}),
    SUCCEEDED: frozenset({SENDING}),
    FAILED: frozenset({SENDING}),
}


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        Index(None, "status", "next_try_at"),
        Index(None, "tax_office_code", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # the payment's: the refund goes back the same way
    tax_office_code: Mapped[str] = mapped_column(ForeignKey("tax_offices.code"))  # the declaration's
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str] = mapped_column(String(16))  # duplicate | migrated
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))  # the proposer's
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)  # our refund request id
    proposed_by: Mapped[str | None] = mapped_column(String(64))  # operators' usernames
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_refund_no: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the provider's last answer, for operators
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # sending: when to ask again
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def of_payment(session: Session, payment_id: uuid.UUID, *, for_update: bool = False) -> Refund | None:
    query = select(Refund).where(Refund.payment_id == payment_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


class IllegalRefundTransition(Exception):
    def __init__(self, refund: Refund, target: str) -> None:
        super().__init__(f"refund {refund.id}: {refund.status} → {target} is not allowed")


def can_move(refund: Refund, target: str) -> bool:
    return refund.status in ALLOWED_FROM[target]


def move(refund: Refund, target: str, *, actor: Actor, session: Session, now: datetime, **after: Any) -> None:
    """The one way a refund changes state: checked against the table, audited in the same step."""
    if refund.status not in ALLOWED_FROM[target]:
        raise IllegalRefundTransition(refund, target)
    before = refund.status
    refund.status, refund.updated_at = target, now
    record(
        session,
        actor=actor,
        action=f"refund.{target}",
        object_type="refund",
        object_id=refund.id,
        at=now,
        before={"status": before},
        after={"status": target, **after},
    )


PENDING_QUERY_SECONDS: Final = 60  # a provider said "pending": ask again after this


def new_out_refund_no() -> str:
    """32 letters and digits: within every provider's refund request id (UnionPay: 8–40 alphanumerics)."""
    return "RF" + new_id().hex[:30]


def open_refund(
    session: Session, payment: Payment, *, tax_office_code: str, now: datetime, actor: Actor
) -> Refund:
    """The `pending` refund of a duplicate payment, in the step that flagged it."""
    refund = Refund(
        id=new_id(),
        payment_id=payment.id,
        method=payment.method,
        tax_office_code=tax_office_code,
        amount_fen=payment.amount_fen,
        origin="duplicate",
        status=PENDING,
        out_refund_no=new_out_refund_no(),
        send_attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    record(
        session,
        actor=actor,
        action="refund.opened",
        object_type="refund",
        object_id=refund.id,
        at=now,
        after={"status": PENDING, "payment_id": str(payment.id), "amount_fen": payment.amount_fen},
    )
    return refund


def apply_state(session: Session, refund: Refund, state: RefundState, *, now: datetime, actor: Actor) -> None:
    """What the provider answered, applied once; a refund no longer `sending` has its outcome already."""
    if refund.status != SENDING:
        return
    if state.out_refund_no != refund.out_refund_no:
        log.error("refund_answer_mismatch", refund=str(refund.id), answered=state.out_refund_no)
        return
    refund.answer = {"status": state.status, "amount_fen": state.amount_fen}
    if state.status == "pending":
        refund.next_try_at = now + timedelta(seconds=PENDING_QUERY_SECONDS)
        refund.updated_at = now
        return
    if state.status == "failed":
        refund.failure_reason = (state.failure_reason or "渠道拒绝退款")[:200]
        refund.next_try_at = None
        move(refund, FAILED, actor=actor, session=session, now=now, reason=refund.failure_reason)
        return
    if state.amount_fen is not None and state.amount_fen != refund.amount_fen:
        log.error("refund_amount_mismatch", refund=str(refund.id), provider=state.amount_fen)
        refund.next_try_at = None  # waits for an operator: never recorded as what we did not ask for
        return
    refund.provider_refund_no = state.provider_refund_no or refund.provider_refund_no
    refund.refunded_at = state.refunded_at or now
    refund.next_try_at = None
    move(refund, SUCCEEDED, actor=actor, session=session, now=now, amount_fen=refund.amount_fen)
    payment = PaymentRepository(session).for_update(refund.payment_id)
    if payment is not None:
        payment.refund_status, payment.updated_at = "refunded", now
        record(
            session,
            actor=actor,
            action="payment.refunded",
            object_type="payment",
            object_id=payment.id,
            at=now,
            before={"refund_status": "to_refund"},
            after={"refund_status": "refunded", "refund_id": str(refund.id)},
        )
