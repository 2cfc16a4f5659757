"""Contribution settings (缴费金额设置): which amount of which scheme is deducted, for whom, by which
agreement, for which fee years; voided (缴费金额作废) they deduct no more."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    and_,
    case,
)
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id

ACTIVE: Final = "active"
VOIDED: Final = "voided"
STATUS_LABELS: Final = {ACTIVE: "有效", VOIDED: "已作废"}
STATUS_TAGS: Final = {ACTIVE: "green", VOIDED: "grey"}


class ContributionSetting(Base):
    """One insured person's setting of one scheme for the fee years `valid_from`..`valid_to` (inclusive).

    `payer_id` set it and owns the agreement it deducts by; `person_id` is the insured person (the
    payer, or a family member). `annual_amount_fen` is the chosen pension amount; NULL for resident
    medical, which is deducted at the policy amount of the person's category.
    """

    __tablename__ = "contribution_settings"
    __table_args__ = (
        Index(None, "person_id", "scheme", "status"),
        Index(None, "payer_id", "created_at"),
        Index(None, "status", "scheme"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    scheme: Mapped[str] = mapped_column(String(24))
    annual_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id"), index=True)
    tax_office_code: Mapped[str] = mapped_column(ForeignKey("tax_offices.code"))
    valid_from: Mapped[int] = mapped_column(Integer)  # fee year
    valid_to: Mapped[int] = mapped_column(Integer)  # fee year, inclusive
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def covers(self, fee_year: int) -> bool:
        return self.valid_from <= fee_year <= self.valid_to


# --- batch deduction (批扣) -------------------------------------------------------------------------------

PLANNED: Final = "planned"  # declared and its payment created; sent once its batch is (decision 0022)
SENT: Final = "sent"  # in a batch file the bank received (items written so before decision 0022)
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"  # its setting was voided (or agreement revoked) before it was sent
DEDUCTION_LABELS: Final = {
    PLANNED: "扣款处理中",
    SENT: "已发送银行",
    SUCCEEDED: "扣款成功",
    FAILED: "扣款失败",
    CANCELLED: "已取消",
}

RUNNING: Final = "running"
COMPLETED: Final = "completed"

BATCH_PLANNING: Final = "planning"  # the run is planning items into it (its bank's); no file yet
BATCH_PREPARED: Final = "prepared"  # its items are fixed and its file written; the bank may not have it
BATCH_SENT: Final = "sent"  # the bank acknowledged receipt
BATCH_ANSWERED: Final = "answered"  # every item's result applied


class DeductionRun(Base):
    """One `shebao deductions run --date`: what it did, and its report."""

    __tablename__ = "deduction_runs"
    __table_args__ = (Index(None, "run_date", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    run_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report_path: Mapped[str | None] = mapped_column(String(300))


class DeductionBatch(Base):
    """One batch file to one bank (TIPS 批量扣税): its items are the deductions that name it."""

    __tablename__ = "deduction_batches"
    __table_args__ = (Index(None, "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    batch_no: Mapped[str] = mapped_column(String(32), unique=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deduction_runs.id"))
    run_date: Mapped[date] = mapped_column(Date)
    bank_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    file_name: Mapped[str | None] = mapped_column(String(200))
    parts_applied: Mapped[int] = mapped_column(Integer, default=0)  # result files applied so far
    refusal: Mapped[str | None] = mapped_column(String(300))  # the last result file refused, and why
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Deduction(Base):
    """One attempt to deduct one payable by one setting.

    `deduction_no` is stable per (setting, payable); `item_id` (the number and the attempt) is what the
    bank sees, acts on once, and answers. A failed attempt is retried by a later day's run as the next
    attempt (a new item id); the declaration it made is reused while it can still be paid.
    The ids of the declaration, its item and the payment are fixed when the attempt is planned, so a run
    that is killed and started again makes the very same rows.
    """

    __tablename__ = "deductions"
    __table_args__ = (
        UniqueConstraint("setting_id", "payable_id", "attempt"),
        Index(None, "batch_id", "status"),
        Index(None, "run_id", "created_at"),
        Index(None, "run_date", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    deduction_no: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(40), unique=True)
    attempt: Mapped[int] = mapped_column(Integer)
    setting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contribution_settings.id"))
    payable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payables.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    agreement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    bank_code: Mapped[str] = mapped_column(String(16))
    scheme: Mapped[str] = mapped_column(String(24))
    fee_year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    run_date: Mapped[date] = mapped_column(Date)
    run_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16))
    declaration_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    declaration_item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    new_declaration: Mapped[bool] = mapped_column(Boolean)
    deadline: Mapped[date] = mapped_column(Date)  # the window's end: the declaration's payment deadline
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    failure_code: Mapped[str | None] = mapped_column(String(8))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return DEDUCTION_LABELS[self.status]


class DeductionResult(Base):
    """A bank result file's line, staged once the whole file was checked; applied from here (and again
    after a crash: applying changes only deductions still awaiting their result)."""

    __tablename__ = "deduction_results"
    __table_args__ = (UniqueConstraint("batch_id", "item_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deduction_batches.id"))
    part: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    serial_no: Mapped[str | None] = mapped_column(String(40))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    eticket_no: Mapped[str | None] = mapped_column(String(32))


def shown_status() -> Any:
    """An item's status as shown, over `Deduction` outer-joined to its `DeductionBatch`: a `planned` item
    of a batch the bank received is sent (its batch's state, decision 0022)."""
    received = and_(Deduction.status == PLANNED, DeductionBatch.status.in_((BATCH_SENT, BATCH_ANSWERED)))
    return case((received, SENT), else_=Deduction.status)
