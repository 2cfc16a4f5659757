"""Payables: what is owed for one levy item and fee period of one enrolment."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Final

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shebao.db import Base, UTCDateTime
from shebao.enrolment.models import Enrolment
from shebao.identity.models import Person
from shebao.kit.ids import new_id

TO_DECLARE: Final = "to_declare"
DECLARED: Final = "declared"
PAID: Final = "paid"
STATUSES: Final = (TO_DECLARE, DECLARED, PAID)
STATUS_LABELS: Final = {TO_DECLARE: "待申报", DECLARED: "已申报待缴款", PAID: "已缴款"}


class Payable(Base):
    """应缴费信息. Created `to_declare` from an enrolment; a declaration moves it on (and back, if voided).

    `base_amount_fen` is the contribution without late fee. The late fee (and so the amount due) of a
    payable not yet declared is computed as of today when read; a declaration fixes both.
    One row per (enrolment, levy item, fee period): the levy item stands for the scheme and insurance
    type (one levy item each), and unlike the insurance type it is never NULL, so the unique
    constraint also holds for the resident schemes and generation stays idempotent when racing.
    """

    __tablename__ = "payables"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "levy_item", "period_start"),
        Index(None, "person_id", "scheme", "period_start"),
        # A declaration's payables. Partial: a payable waits undeclared (NULL) from its import on, and
        # `declaration_id = …` (also `= ANY(…)` and joins) implies NOT NULL, so every reader still uses it.
        Index(
            None,
            "declaration_id",
            postgresql_where=text("declaration_id IS NOT NULL"),
            sqlite_where=text("declaration_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    enrolment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrolments.id"))
    scheme: Mapped[str] = mapped_column(String(24))
    insurance_type: Mapped[str | None] = mapped_column(String(16))  # flexible employment only
    levy_item: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[str] = mapped_column(String(7))
    period_end: Mapped[str] = mapped_column(String(7))
    base_amount_fen: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    tax_office_code: Mapped[str] = mapped_column(ForeignKey("tax_offices.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    status: Mapped[str] = mapped_column(String(16), default=TO_DECLARE)
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Never loaded (lazy="raise"): declared so that one flush inserts persons and enrolments first.
    person: Mapped[Person] = relationship(lazy="raise")
    enrolment: Mapped[Enrolment] = relationship(lazy="raise")
