"""Write audit rows. Callers pass masked or non-personal values only: the log is read by operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    type: str
    id: str | None = None
    channel: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(type="system")


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        occurred_at=at,
        actor_type=actor.type,
        actor_id=actor.id,
        channel=actor.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def entries_for(session: Session, object_type: str, object_id: object) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.occurred_at, AuditEntry.id)
    )
    return list(session.scalars(query))
