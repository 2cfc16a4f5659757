"""Payments (one try to pay one declaration with one method), the channel-event inbox, idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Final

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.identity.access import Guard
from shebao.kit.ids import new_id

CREATED: Final = "created"
PENDING: Final = "pending"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
CLOSED: Final = "closed"
UNKNOWN: Final = "unknown"
STATUS_LABELS: Final = {
    CREATED: "待支付",
    PENDING: "待支付",
    SUCCEEDED: "支付成功",
    FAILED: "支付失败",
    CLOSED: "已关闭",
    UNKNOWN: "缴费结果确认中",
}
METHOD_LABELS: Final = {
    "alipay": "支付宝",
    "wechat": "微信支付",
    "unionpay": "银联支付",
    "agreement": "协议支付",
    "elsewhere": "柜台或银行缴款",  # a payment made outside shebao, fed by the tax core (全渠道)
}
CHANNEL_LABELS: Final = {
    "h5": "京通网页",
    "alipay_mp": "支付宝小程序",
    "baidu_mp": "百度小程序",
    "wechat_mp": "微信小程序",
    "counter": "办税服务厅",
    "bank": "银行",
    "batch": "批量扣款",
}


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("method", "out_trade_no"),
        Index(None, "declaration_id", "status"),
        Index(None, "status", "next_query_at"),
        # The records query (records/repository.py): one person's paid payments, newest first.
        Index(None, "person_id", "status", "succeeded_at"),
        Index(None, "payer_id", "status", "succeeded_at"),
    )
    # Who may see it (identity/access.py): the insured person, the payer who made it, consent holders.
    access: ClassVar[Guard] = Guard(person="person_id", actor="payer_id")

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    declaration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("declarations.id"))
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))  # who pays
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))  # whose fee
    method: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    out_trade_no: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    close_pending: Mapped[bool] = mapped_column(Boolean, default=False)  # asked to close, not yet confirmed
    provider_trade_no: Mapped[str | None] = mapped_column(String(64))
    pay: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    eticket_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)  # paid after the declaration was
    refund_status: Mapped[str | None] = mapped_column(String(16))  # to_refund | refunded
    query_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_query_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)

    @property
    def is_open(self) -> bool:
        return self.status in (CREATED, PENDING)


class ChannelEvent(Base):
    """The inbox: every verified provider notification, stored before it is applied, once per event."""

    __tablename__ = "channel_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(128))
    out_trade_no: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))


class IdempotencyRecord(Base):
    """`Idempotency-Key`: the same key and body within 24 h answer the first payment (API.md)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("payer_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
