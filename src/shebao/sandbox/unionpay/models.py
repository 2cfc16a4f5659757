"""What the simulated UnionPay keeps: its orders and 退货, and the delivery state of each one's back
notification.

No personal data: the sandbox cashier takes no card number.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id
from shebao.sandbox.deliveries import Notified
from shebao.sandbox.refunds import RefundEntry

# status: unpaid | paid | failed (the payer gave up at the cashier) | expired (payTimeout passed unpaid)
UNPAID, PAID, FAILED, EXPIRED = "unpaid", "paid", "failed", "expired"


class SandboxUnionpayTrade(Notified, Base):
    __tablename__ = "sandbox_unionpay_trades"
    __table_args__ = (Index(None, "notify_state", "notify_next_at"), Index(None, "delayed_until"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(32), unique=True)
    txn_time: Mapped[str] = mapped_column(String(14))  # the merchant's yyyyMMddHHmmss, Beijing time
    query_id: Mapped[str] = mapped_column(String(21), unique=True)
    mer_id: Mapped[str] = mapped_column(String(15))
    channel_type: Mapped[str] = mapped_column(String(2))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    front_url: Mapped[str | None] = mapped_column(String(512))
    pay_timeout: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trace_no: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxUnionpayRefund(RefundEntry, Base):
    """A 退货 of a paid order: `out_refund_no` is its own orderId, `refund_no` its queryId."""

    __tablename__ = "sandbox_unionpay_refunds"

    txn_time: Mapped[str] = mapped_column(String(14))  # the 退货's own txnTime
    orig_query_id: Mapped[str] = mapped_column(String(21))  # the paid order's queryId
    trace_no: Mapped[str] = mapped_column(String(6))
    req_reserved: Mapped[str | None] = mapped_column(String(256))  # echoed back to the merchant
