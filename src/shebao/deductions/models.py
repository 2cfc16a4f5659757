"""Contribution settings (缴费金额设置): which amount of which scheme is deducted, for whom, by which
agreement, for which fee years; voided (缴费金额作废) they deduct no more."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
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
