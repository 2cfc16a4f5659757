"""Console sessions: opaque random tokens stored as their SHA-256 hash, idle and absolute expiry (the
mechanism is `web/logins.py`, shared with the payers' sessions).

Their own table, apart from the payers' `login_sessions`: a payer's token is unknown here and a
console token is unknown there, so neither opens the other's API.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import update
from sqlalchemy.orm import Session

from shebao.console.models import ACTIVE, PENDING, Operator, OperatorSession
from shebao.web import logins

IDLE: Final = timedelta(minutes=30)
ABSOLUTE_LIFETIME: Final = timedelta(hours=12)


def open_session(
    session: Session, operator_id: uuid.UUID, *, kind: str, now: datetime
) -> tuple[OperatorSession, str]:
    token, columns = logins.new_login(now, idle=IDLE, absolute=ABSOLUTE_LIFETIME)
    row = OperatorSession(operator_id=operator_id, kind=kind, **columns)
    session.add(row)
    session.flush()
    return row, token


def live_session(session: Session, token: str, now: datetime) -> tuple[OperatorSession, Operator] | None:
    """The token's session if live, with its operator if not disabled (one query on every request)."""
    found = logins.live(session, OperatorSession, Operator, OperatorSession.operator_id, token, now=now)
    if found is None or found[1].status not in (PENDING, ACTIVE):
        return None
    return found


def touch(session: Session, row: OperatorSession, now: datetime) -> None:
    logins.touch(session, OperatorSession, row, now=now, idle=IDLE)


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
