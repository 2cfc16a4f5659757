"""What the simulated Alipay keeps: its trades and the delivery state of each trade's current notification.

No personal data: buyer ids are Alipay's pseudonymous user ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id

# notify_state: none (no notify_url or no event yet) | pending (to deliver, retried on a backoff) |
# delivered (answered "success") | lost (the event's notification was dropped on purpose) | abandoned.
NOTIFY_NONE, NOTIFY_PENDING, NOTIFY_DELIVERED, NOTIFY_LOST, NOTIFY_ABANDONED = (
    "none",
    "pending",
    "delivered",
    "lost",
    "abandoned",
)


class SandboxAlipayTrade(Base):
    __tablename__ = "sandbox_alipay_trades"
    __table_args__ = (Index(None, "notify_state", "notify_next_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    out_trade_no: Mapped[str] = mapped_column(String(64), unique=True)
    trade_no: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[str] = mapped_column(String(32))
    product_code: Mapped[str] = mapped_column(String(32))  # QUICK_WAP_PAY | JSAPI_PAY
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))  # WAIT_BUYER_PAY | TRADE_SUCCESS | TRADE_CLOSED
    notify_url: Mapped[str | None] = mapped_column(String(512))
    return_url: Mapped[str | None] = mapped_column(String(512))
    buyer_id: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the order's time_expire
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_id: Mapped[str | None] = mapped_column(String(64))  # one per event, the same on its retries
    notify_state: Mapped[str] = mapped_column(String(16), default=NOTIFY_NONE)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when "success" came back


class SandboxAlipayRefund(Base):
    """One refund of a paid trade (alipay.trade.refund), unique by the merchant's out_request_no per trade."""

    __tablename__ = "sandbox_alipay_refunds"
    __table_args__ = (UniqueConstraint("trade_id", "out_request_no"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    trade_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_alipay_trades.id"))
    out_request_no: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(256))
    refunded_at: Mapped[datetime] = mapped_column(UTCDateTime)
