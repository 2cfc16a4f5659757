from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shebao.db import Base, UTCDateTime
from shebao.kit.ids import new_id


class AuditEntry(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE on this table."""

    __tablename__ = "audit_log"
    # The console's audit search (console/auditlog.py) filters by one of these and reads newest first by
    # (occurred_at, id): each index serves its filter and the keyset order together (bench/audit_explain.py).
    # (object_type, object_id) finds a payer's trail and an office's rows.
    __table_args__ = (
        Index(None, "object_type", "object_id"),
        Index(None, "occurred_at", "id"),
        Index(None, "actor_id", "occurred_at", "id"),
        Index(None, "action", "occurred_at", "id"),
        Index(None, "object_type", "occurred_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_type: Mapped[str] = mapped_column(String(16))  # payer | agency | operator | system | provider
    actor_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
