"""Login sessions: opaque random tokens, stored hashed, with idle and absolute expiry, revocable."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shebao.identity.models import LoginSession, Person

ABSOLUTE_LIFETIME = timedelta(hours=12)
# Writing last_seen on every request would make each read a write; a minute of slack is harmless.
TOUCH_EVERY = timedelta(seconds=60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    session: Session, person_id: uuid.UUID, *, kind: str, channel: str, now: datetime, idle: timedelta
) -> tuple[LoginSession, str]:
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        token_hash=hash_token(token),
        person_id=person_id,
        kind=kind,
        channel=channel,
        created_at=now,
        last_seen_at=now,
        idle_expires_at=now + idle,
        absolute_expires_at=now + ABSOLUTE_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row, token


def live_session(session: Session, token: str, *, now: datetime) -> tuple[LoginSession, Person] | None:
    """The token's session, if live, with its person (one query: every authenticated request asks)."""
    found = session.execute(
        select(LoginSession, Person)
        .join(Person, Person.id == LoginSession.person_id)
        .where(LoginSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    row, person = found
    if row.ended_at is not None or now >= row.idle_expires_at or now >= row.absolute_expires_at:
        return None
    return row, person


def touch(session: Session, row: LoginSession, *, now: datetime, idle: timedelta) -> None:
    """Slide the idle expiry; skipped when the last touch is recent (see TOUCH_EVERY)."""
    if now - row.last_seen_at < TOUCH_EVERY:
        return
    session.execute(
        update(LoginSession)
        .where(LoginSession.id == row.id, LoginSession.ended_at.is_(None))
        .values(last_seen_at=now, idle_expires_at=now + idle)
    )


def end_session(session: Session, row: LoginSession, *, now: datetime) -> None:
    row.ended_at = now
    session.flush()
