"""What the simulated WeChat Pay keeps: its orders and refunds, and the delivery state of each one's callback.

No personal data: openids are WeChat's pseudonymous per-app user ids.
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


class SandboxWechatTrade(Notified, Base):
    __tablename__ = "sandbox_wechat_trades"

    __table_args__ = (Index(None, "notify_state", "notify_next_at"), Index(None, "delayed_until"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    prepay_id: Mapped[str] = mapped_column(String(64), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(32), unique=True)
    mchid: Mapped[str] = mapped_column(String(32))
    appid: Mapped[str] = mapped_column(String(32))
    trade_type: Mapped[str] = mapped_column(String(16))  # JSAPI | MWEB (H5)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(127))
    status: Mapped[str] = mapped_column(String(16))  # NOTPAY | SUCCESS | CLOSED
    openid: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the order's time_expire
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxWechatRefund(RefundEntry, Base):
    """A refund (申请退款) of a paid order; `refund_no` is WeChat Pay's refund_id."""

    __tablename__ = "sandbox_wechat_refunds"

    transaction_id: Mapped[str] = mapped_column(String(32))
