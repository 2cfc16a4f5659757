from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id


class StatementRun(Base):
    """One statement processed: the same file (same digest) is processed once; a later one of the same
    day (another digest) is processed again."""

    __tablename__ = "statement_runs"
    __table_args__ = (UniqueConstraint("channel", "bill_date", "digest"),)

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
    `amount_mismatch`, `missing_in_statement` (we recorded a success the provider does not list)."""

    __tablename__ = "reconciliation_issues"
    __table_args__ = (UniqueConstraint("channel", "kind", "out_trade_no"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    bill_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    out_trade_no: Mapped[str] = mapped_column(String(64))
    provider_trade_no: Mapped[str | None] = mapped_column(String(64))
    statement_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    our_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16), default="open")
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
