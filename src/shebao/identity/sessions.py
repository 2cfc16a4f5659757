"""Login sessions: opaque random tokens, stored hashed, with idle and absolute expiry, revocable (the
mechanism is `web/logins.py`, shared with the console's operator sessions; the tables are apart)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from shebao.identity.models import LoginSession, Person
from shebao.web import logins

ABSOLUTE_LIFETIME = timedelta(hours=12)
hash_token = logins.hash_token


def open_session(
    session: Session, person_id: uuid.UUID, *, kind: str, channel: str, now: datetime, idle: timedelta
) -> tuple[LoginSession, str]:
    token, columns = logins.new_login(now, idle=idle, absolute=ABSOLUTE_LIFETIME)
    row = LoginSession(person_id=person_id, kind=kind, channel=channel, **columns)
    session.add(row)
    session.flush()
    return row, token


def live_session(session: Session, token: str, now: datetime) -> tuple[LoginSession, Person] | None:
    """The token's session, if live, with its person."""
    return logins.live(session, LoginSession, Person, LoginSession.person_id, token, now=now)


def touch(session: Session, row: LoginSession, *, now: datetime, idle: timedelta) -> None:
    logins.touch(session, LoginSession, row, now=now, idle=idle)


def end_session(session: Session, row: LoginSession, *, now: datetime) -> None:
    row.ended_at = now
    session.flush()
