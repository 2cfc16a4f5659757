"""Reference tables, filled from the packaged catalog by `shebao db upgrade` (codes are natural keys)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    official: Mapped[bool] = mapped_column(Boolean)


class TaxOffice(Base):
    __tablename__ = "tax_offices"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    level: Mapped[str] = mapped_column(String(16))
    sample: Mapped[bool] = mapped_column(Boolean)


class Agency(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    sample: Mapped[bool] = mapped_column(Boolean)


class Bank(Base):
    __tablename__ = "banks"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(32))
    sample: Mapped[bool] = mapped_column(Boolean)


class BankBranch(Base):
    __tablename__ = "bank_branches"
    __table_args__ = (Index(None, "bank_code", "region_code"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.code"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    sample: Mapped[bool] = mapped_column(Boolean)
