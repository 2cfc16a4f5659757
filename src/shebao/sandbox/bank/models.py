"""What the simulated bank keeps. Account numbers and holder names are encrypted here too (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.crypto import EncryptedText
from shebao.kit.ids import new_id

ACCOUNT_STATUSES: Final = ("normal", "frozen", "closed")
# Switches: normal; timeout (acts, the answer is lost); lost (the request is lost, nothing done);
# closed (non-working hours: 银行系统维护中); refuse (verifications and deductions refused).
MODES: Final = ("normal", "timeout", "lost", "closed", "refuse")


class SandboxBankAccount(Base):
    __tablename__ = "sandbox_bank_accounts"
    __table_args__ = (UniqueConstraint("bank_code", "account_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    bank_code: Mapped[str] = mapped_column(String(16))
    account_index: Mapped[str] = mapped_column(String(64))  # blind index of the account number
    account_no: Mapped[str] = mapped_column(EncryptedText)
    holder_name: Mapped[str] = mapped_column(EncryptedText)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # normal | frozen | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxBankAgreement(Base):
    """An agreement the bank verified; revoked by the tax side's message or at the bank's counter."""

    __tablename__ = "sandbox_bank_agreements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    agreement_no: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sandbox_bank_accounts.id"), index=True)
    tax_office_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # active | revoked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxBankEntry(Base):
    """The ledger: one row per deduction or refund message, whatever its result; a message id is acted on
    once (a refund's message id is the merchant's refund serial)."""

    __tablename__ = "sandbox_bank_ledger"
    __table_args__ = (Index(None, "batch_no", "part", "msg_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sandbox_bank_accounts.id"), index=True)
    agreement_no: Mapped[str] = mapped_column(String(40))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    result_code: Mapped[str] = mapped_column(String(8))
    result_message: Mapped[str] = mapped_column(String(100))
    serial_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    balance_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A refund (退款): the deduction's message id it gives money back for; amount_fen credited.
    refund_of: Mapped[str | None] = mapped_column(String(64))
    # A batch item (批量扣税): the batch file it came in, and which result file answers it.
    batch_no: Mapped[str | None] = mapped_column(String(32))
    part: Mapped[int | None] = mapped_column(Integer)


class SandboxBankControl(Base):
    """The switches of the simulated bank (one row), shared by every process of a deployment."""

    __tablename__ = "sandbox_bank_controls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(100))  # refuse: what the bank says
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    batch_late_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SandboxBankBatch(Base):
    """A batch file the bank received (kept sealed in the data dir), and how far it has answered it."""

    __tablename__ = "sandbox_bank_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    batch_no: Mapped[str] = mapped_column(String(32), unique=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    item_count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(200))
    late_percent: Mapped[int] = mapped_column(Integer)
    parts: Mapped[int] = mapped_column(Integer)  # result files ready so far
    late_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the late share is answered
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
