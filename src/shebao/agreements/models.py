"""Agreements (缴费协议) and the deductions made by them.

The stored status is pending, active, revoked or rejected; a pending agreement whose effective date has
come is active whatever the row says (`rules.status_on`), and a sweep persists it. The account number is
encrypted, found through a keyed blind index, and shown masked only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Final

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.crypto import EncryptedText
from shebao.kit.ids import new_id
from shebao.kit.masking import mask_account, mask_name

PENDING: Final = "pending"
ACTIVE: Final = "active"
REVOKED: Final = "revoked"
REJECTED: Final = "rejected"
LIVE: Final = (PENDING, ACTIVE)
STATUS_LABELS: Final = {PENDING: "待生效", ACTIVE: "已生效", REVOKED: "已撤销", REJECTED: "签约失败"}
STATUS_TAGS: Final = {PENDING: "orange", ACTIVE: "green", REVOKED: "grey", REJECTED: "red"}


class Agreement(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        Index(None, "payer_id", "signed_at"),
        Index(None, "status", "effective_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    agreement_no: Mapped[str] = mapped_column(String(40), unique=True)  # 协议编号: random, unguessable
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))  # the payer, the cardholder
    tax_office_code: Mapped[str] = mapped_column(ForeignKey("tax_offices.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.code"))
    bank_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    branch_code: Mapped[str] = mapped_column(ForeignKey("bank_branches.code"))
    holder_name: Mapped[str] = mapped_column(EncryptedText)
    account_no: Mapped[str] = mapped_column(EncryptedText)
    account_index: Mapped[str] = mapped_column(String(64), index=True)  # blind index of bank + account
    withhold: Mapped[bool] = mapped_column(Boolean)  # 是否银行代扣 (batch deduction)
    withhold_schemes: Mapped[list[str]] = mapped_column(JSON)  # 代扣险种
    status: Mapped[str] = mapped_column(String(16))
    # Set while live (pending or active): one live agreement per account and tax office.
    live_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    effective_from: Mapped[date | None] = mapped_column(Date)  # Asia/Shanghai; None when rejected
    failure_reason: Mapped[str | None] = mapped_column(String(200))  # the bank's, when rejected
    bank_msg_id: Mapped[str] = mapped_column(String(64))  # the verification message
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the bank confirmed it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_no)

    @property
    def masked_holder(self) -> str:
        return mask_name(self.holder_name)


class AgreementDeduction(Base):
    """A real-time deduction sent by an agreement: which agreement paid which payment, and when."""

    __tablename__ = "agreement_deductions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), unique=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)  # the deduction message = out_trade_no
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
