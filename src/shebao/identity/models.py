"""Natural persons, login sessions, verifications, family members and consents.

Personal data (document number, name, phone) is encrypted at rest; lookups go through keyed blind
indexes (`*_index`), never through the plaintext.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.crypto import EncryptedText
from shebao.kit.ids import new_id
from shebao.kit.masking import mask_id_number, mask_name, mask_phone


class Person(Base):
    """A natural person the system knows: from the agencies' enrolment data, or a payer who logged in."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str] = mapped_column(EncryptedText)
    document_index: Mapped[str] = mapped_column(String(64), unique=True)  # blind index of "type:number"
    name: Mapped[str] = mapped_column(EncryptedText)
    taxpayer_id: Mapped[str] = mapped_column(EncryptedText)
    taxpayer_index: Mapped[str] = mapped_column(String(64))  # kept for look-ups to come; no reader yet
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_index: Mapped[str | None] = mapped_column(String(64))  # no query finds a person by phone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class LoginVerification(Base):
    """One login attempt between 实人认证 (name and document matched) and 人脸认证 (face passed)."""

    __tablename__ = "login_verifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    phone: Mapped[str] = mapped_column(EncryptedText)
    phone_index: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # started | passed | failed | used | expired
    next_path: Mapped[str | None] = mapped_column(String(256))
    # SHA-256 of the nonce cookie of the browser that started it (H5 pages): only that browser completes it.
    browser_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginSession(Base):
    """A server-side session: the cookie or bearer token is stored only as its SHA-256 hash."""

    __tablename__ = "login_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # cookie | bearer
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    absolute_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SmsCode(Base):
    """A login code sent by SMS: stored hashed, single use, expiring.

    Failed tries count apart by where they come from: `attempts` from the address that asked for the
    code, `foreign_attempts` from all others together, so a stranger elsewhere cannot burn it."""

    __tablename__ = "sms_codes"
    __table_args__ = (Index(None, "phone_index", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    phone_index: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ip_index: Mapped[str | None] = mapped_column(String(64))  # blind index of the asking address
    foreign_attempts: Mapped[int] = mapped_column(Integer, default=0)


class FamilyMember(Base):
    """A payer's family member (为他人缴费). Removing one keeps the row (and the history it explains)."""

    __tablename__ = "family_members"
    __table_args__ = (Index(None, "payer_id", "member_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    relation: Mapped[str] = mapped_column(String(8))  # spouse | parent | child | other
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Consent(Base):
    """授权: a member lets a payer see the member's own records, given from the member's own login."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("member_id", "payer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateCounter(Base):
    """Failures and sends counted per key and fixed window; keys are blind indexes, never plaintext."""

    __tablename__ = "rate_counters"
    __table_args__ = (UniqueConstraint("key", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(96))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class RateLock(Base):
    """A key locked until a moment: the message states the true remaining time and the lock ends then."""

    __tablename__ = "rate_locks"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginCaptcha(Base):
    """图形验证码: the answer kept encrypted; checked once, right or wrong."""

    __tablename__ = "login_captchas"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    answer: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
