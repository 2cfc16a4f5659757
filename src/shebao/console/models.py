"""Operators (税务所 staff) and their console sessions, apart from the payers' persons and sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.crypto import EncryptedText
from shebao.kit.ids import new_id

# An operator's states (states.py holds the transitions): the one-time password still to be replaced,
# working, or disabled.
PENDING: Final = "pending"
ACTIVE: Final = "active"
DISABLED: Final = "disabled"


class Operator(Base):
    """A console user of one tax office (or, an admin with no office, of all offices)."""

    __tablename__ = "operators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # viewer | operator | approver | admin
    tax_office_code: Mapped[str | None] = mapped_column(ForeignKey("tax_offices.code"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))  # argon2id, with its parameters and salt
    totp_secret: Mapped[str] = mapped_column(EncryptedText)
    # The last TOTP time-step accepted (30-second steps of real time): a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def password_change_required(self) -> bool:
        return self.status == PENDING


class OperatorSession(Base):
    """A console login: the bearer token or cookie stored only as its SHA-256 hash."""

    __tablename__ = "operator_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # cookie | bearer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    absolute_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
