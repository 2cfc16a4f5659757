"""What the login keeps only while it matters: SMS codes, captchas, rate counters and locks, face
verifications and ended sessions are deleted once no rule reads them any more (PIPL: keep personal data
no longer than needed; and the tables stay small)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Delete, delete, or_
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from shebao.identity.models import (
    LoginCaptcha,
    LoginSession,
    LoginVerification,
    RateCounter,
    RateLock,
    SmsCode,
)

# The longest look back of any rule: daily SMS quotas and per-day limits count the last 24 hours, and a
# sliding window also reads the window before the current one.
COUNTED_FOR = timedelta(days=2)
# Sessions stay a while after they end, for the payer's questions about a login (the audit log keeps
# what was done in them).
ENDED_SESSIONS_KEPT = timedelta(days=30)
EXPIRED_KEPT = timedelta(hours=1)


def purge(session: Session, now: datetime) -> dict[str, int]:
    """Delete what no rule reads any more; answers how many rows of each table went."""
    statements: dict[str, Delete] = {
        "sms_codes": delete(SmsCode).where(SmsCode.created_at < now - COUNTED_FOR),
        "rate_counters": delete(RateCounter).where(RateCounter.window_start < now - COUNTED_FOR),
        "rate_locks": delete(RateLock).where(RateLock.locked_until < now),
        "login_captchas": delete(LoginCaptcha).where(LoginCaptcha.expires_at < now - EXPIRED_KEPT),
        "login_verifications": delete(LoginVerification).where(
            LoginVerification.expires_at < now - EXPIRED_KEPT
        ),
        "login_sessions": delete(LoginSession).where(
            or_(
                LoginSession.ended_at < now - ENDED_SESSIONS_KEPT,
                LoginSession.absolute_expires_at < now - ENDED_SESSIONS_KEPT,
            )
        ),
    }
    return {table: _deleted(session, statement) for table, statement in statements.items()}


def _deleted(session: Session, statement: Delete) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount
