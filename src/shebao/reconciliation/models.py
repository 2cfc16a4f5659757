from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Final

from sqlalchemy import BigInteger, Date, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id

OPEN: Final = "open"
RESOLVED: Final = "resolved"  # an operator checked it and said what was done (`resolution`)
ISSUE_STATUS_LABELS: Final = {OPEN: "待核对", RESOLVED: "已处理"}


class StatementRun(Base):
    """One statement processed: the same file (same digest) is processed once; a later one of the same
    day (another digest) is processed again."""

    __tablename__ = "statement_runs"
    __table_args__ = (UniqueConstraint("channel", "bill_date", "digest"), Index(None, "bill_date", "ran_at"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    bill_date: Mapped[date] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    settled: Mapped[int] = mapped_column(Integer)
    issues: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReconciliationIssue(Base):
    """A difference for an operator: `unknown_payment` (the provider has it, we do not),
    `amount_mismatch`, `missing_in_statement` (we recorded a success the provider does not list).
    Open until an operator resolves it with a reason (`states.py`: open → resolved, once)."""

    __tablename__ = "reconciliation_issues"
    __table_args__ = (UniqueConstraint("channel", "kind", "out_trade_no"), Index(None, "status", "bill_date"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    bill_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    out_trade_no: Mapped[str] = mapped_column(String(64))
    provider_trade_no: Mapped[str | None] = mapped_column(String(64))
    statement_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    our_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))  # the operator's username
    resolution: Mapped[str | None] = mapped_column(String(500))

    @property
    def status_label(self) -> str:
        return ISSUE_STATUS_LABELS.get(self.status, self.status)
