"""Enrolments (one per person and scheme) and the agencies' API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shebao.db import Base, UTCDateTime
from shebao.enrolment.terms import EnrolmentTerms, join_insurance_types, split_insurance_types
from shebao.identity.models import Person
from shebao.kit.ids import new_id
from shebao.kit.periods import Period


class Enrolment(Base):
    """参保登记: a person in a scheme, as the agency last sent it. Payables are priced from it."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("person_id", "scheme"),
        # The payables sweep looks for enrolments whose payables lag behind the service clock.
        Index(None, "scheme", "payables_through"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    scheme: Mapped[str] = mapped_column(String(24))
    category: Mapped[str | None] = mapped_column(String(16))
    insurance_types: Mapped[str | None] = mapped_column(String(64))  # "pension;medical", canonical order
    monthly_base_fen: Mapped[int | None] = mapped_column(BigInteger)
    annual_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    tax_office_code: Mapped[str] = mapped_column(ForeignKey("tax_offices.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    period_start: Mapped[str | None] = mapped_column(String(7))
    period_end: Mapped[str | None] = mapped_column(String(7))
    # Every payable due up to this fee period (YYYY-MM) exists; NULL: none generated yet, or the
    # earliest ones wait for a policy table. The sweep only looks at enrolments behind the clock.
    payables_through: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Never loaded (lazy="raise"): declared so that one flush inserts a new person before its enrolment.
    person: Mapped[Person] = relationship(lazy="raise")

    @property
    def terms(self) -> EnrolmentTerms:
        return EnrolmentTerms(
            scheme=self.scheme,
            tax_office_code=self.tax_office_code,
            agency_code=self.agency_code,
            category=self.category,
            insurance_types=split_insurance_types(self.insurance_types),
            monthly_base_fen=self.monthly_base_fen,
            annual_amount_fen=self.annual_amount_fen,
            period_start=Period.parse(self.period_start) if self.period_start else None,
            period_end=Period.parse(self.period_end) if self.period_end else None,
        )

    def apply(self, terms: EnrolmentTerms) -> None:
        """Take the terms (the scheme never changes: another scheme is another enrolment)."""
        for name, value in term_columns(terms).items():
            setattr(self, name, value)


def term_columns(terms: EnrolmentTerms) -> dict[str, object]:
    """The columns of an enrolment that hold its terms (for `apply` and for bulk inserts)."""
    return {
        "scheme": terms.scheme,
        "category": terms.category,
        "insurance_types": join_insurance_types(terms.insurance_types),
        "monthly_base_fen": terms.monthly_base_fen,
        "annual_amount_fen": terms.annual_amount_fen,
        "tax_office_code": terms.tax_office_code,
        "agency_code": terms.agency_code,
        "period_start": str(terms.period_start) if terms.period_start else None,
        "period_end": str(terms.period_end) if terms.period_end else None,
    }


class AgencyKey(Base):
    """A key of the agency API (header X-Agency-Key). Only its SHA-256 is stored; it is shown once."""

    __tablename__ = "agency_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the last 4 characters, to tell keys apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
