"""Console sessions: opaque random tokens stored as their SHA-256 hash, idle and absolute expiry.

Their own table, apart from the payers' `login_sessions`: a payer's token is unknown here and a
console token is unknown there, so neither opens the other's API.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shebao.console.models import ACTIVE, PENDING, Operator, OperatorSession

IDLE: Final = timedelta(minutes=30)
ABSOLUTE_LIFETIME: Final = timedelta(hours=12)
# Writing last_seen on every request would make each read a write; a minute of slack is harmless.
TOUCH_EVERY: Final = timedelta(seconds=60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    session: Session, operator_id: uuid.UUID, *, kind: str, now: datetime
) -> tuple[OperatorSession, str]:
    token = secrets.token_urlsafe(32)
    row = OperatorSession(
        token_hash=hash_token(token),
        operator_id=operator_id,
        kind=kind,
        created_at=now,
        last_seen_at=now,
        idle_expires_at=now + IDLE,
        absolute_expires_at=now + ABSOLUTE_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row, token


def live_session(session: Session, token: str, *, now: datetime) -> tuple[OperatorSession, Operator] | None:
    """The token's session if live, with its operator if not disabled (one query on every request)."""
    found = session.execute(
        select(OperatorSession, Operator)
        .join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    row, operator = found
    if row.ended_at is not None or now >= row.idle_expires_at or now >= row.absolute_expires_at:
        return None
    if operator.status not in (PENDING, ACTIVE):
        return None
    return row, operator


def touch(session: Session, row: OperatorSession, *, now: datetime) -> None:
    """Slide the idle expiry; skipped when the last touch is recent (see TOUCH_EVERY)."""
    if now - row.last_seen_at < TOUCH_EVERY:
        return
    session.execute(
        update(OperatorSession)
        .where(OperatorSession.id == row.id, OperatorSession.ended_at.is_(None))
        .values(last_seen_at=now, idle_expires_at=now + IDLE)
    )


def end_session(session: Session, row_id: uuid.UUID, *, now: datetime) -> None:
    session.execute(
        update(OperatorSession)
        .where(OperatorSession.id == row_id, OperatorSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_all(session: Session, operator_id: uuid.UUID, *, now: datetime, keep: uuid.UUID | None = None) -> int:
    """End every live session of an operator (but `keep`): disabled, reset, or a new password."""
    statement = update(OperatorSession).where(
        OperatorSession.operator_id == operator_id, OperatorSession.ended_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(OperatorSession.id != keep)
    return session.execute(statement.values(ended_at=now)).rowcount  # type: ignore[attr-defined,no-any-return]
