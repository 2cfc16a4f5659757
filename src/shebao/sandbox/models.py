"""What the simulated providers keep. Personal data here is encrypted too (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.crypto import EncryptedText
from shebao.kit.ids import new_id


class SandboxSms(Base):
    """The SMS outbox: what the simulated SMS gateway 'sent'."""

    __tablename__ = "sandbox_sms_outbox"
    __table_args__ = (Index(None, "phone_index", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    phone_index: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(EncryptedText)
    text: Mapped[str] = mapped_column(EncryptedText)
    code: Mapped[str] = mapped_column(EncryptedText)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxPhoneCode(Base):
    """A mini-program platform's phone authorisation code: short-lived and single use."""

    __tablename__ = "sandbox_phone_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(EncryptedText)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
