"""Certificate requests, their generated files, verification captchas and the sandbox's renderer faults."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Final

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.identity.access import Guard
from shebao.kit.crypto import EncryptedText
from shebao.kit.ids import new_id

GENERATING: Final = "generating"
READY: Final = "ready"
FAILED: Final = "failed"
STATUS_LABELS: Final = {GENERATING: "制作中", READY: "已完成", FAILED: "制作失败"}
STATUS_TAGS: Final = {GENERATING: "orange", READY: "green", FAILED: "red"}
BUSY_REASON: Final = "制作失败，系统繁忙，请稍后重新制作"


class Certificate(Base):
    """One certificate request (证明申请) and, once ready, the certificate it produced.

    `verification_index` is the keyed blind index of taxpayer ID + 证明校验码: verification is one
    lookup on it, and neither value can be read back from it."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index(None, "requested_by_id", "applied_at"),
        Index(None, "status", "claimed_at"),
        # Asking again while one is generating answers that one: at most one generating per request.
        Index(
            "uq_certificates_generating",
            "requested_by_id",
            "person_id",
            "scheme",
            "period_from",
            "period_to",
            unique=True,
            sqlite_where=text("status = 'generating'"),
            postgresql_where=text("status = 'generating'"),
        ),
    )

    # Who may see it (identity/access.py): the insured person, the applicant, consent holders.
    access: ClassVar[Guard] = Guard(person="person_id", actor="requested_by_id")

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    certificate_no: Mapped[str] = mapped_column(String(24), unique=True)
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))  # the payer who asked
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)  # the insured
    scheme: Mapped[str] = mapped_column(String(24))
    period_from: Mapped[str] = mapped_column(String(7))
    period_to: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The generation lease: a worker claims the request for a while; a claim older than the lease
    # belongs to a worker that died, and the sweep hands the request to another one.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_fen: Mapped[int | None] = mapped_column(BigInteger)
    item_count: Mapped[int | None] = mapped_column(Integer)
    tax_office_code: Mapped[str | None] = mapped_column(String(16))
    verification_code: Mapped[str | None] = mapped_column(EncryptedText)
    verification_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    # What the certificate says (name, IDs, items), as JSON, encrypted: the verification page shows it.
    content: Mapped[str | None] = mapped_column(EncryptedText)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS[self.status]


class CertificateFile(Base):
    """The signed PDF and its PNG view, apart from the request so lists stay light."""

    __tablename__ = "certificate_files"

    certificate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Captcha(Base):
    """An image captcha of the verification page: answer stored as a keyed hash, single use, 5 minutes."""

    __tablename__ = "captchas"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    answer_hash: Mapped[str] = mapped_column(String(64))
    # The answer for the sandbox's GET /sandbox/captcha/{id} (tests and the demo); empty in production.
    sandbox_answer: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RenderFault(Base):
    """Sandbox only: how many of the next generations fail, as a renderer outage would (one row)."""

    __tablename__ = "certificate_render_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
