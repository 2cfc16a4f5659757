"""Fixed-window counters in the database, keyed by blind indexes (never a plaintext phone or document).

Counters are written in the request's transaction; an error raised after a counted failure carries
`commit_anyway`, so the count is committed though the request failed. Failures count per
(phone, document) pair and per client address, never per document alone:
a stranger cannot lock a citizen out (DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shebao.identity.models import RateCounter
from shebao.kit.crypto import blind_index


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: timedelta
    # Count the previous window too, so failures spread across a window boundary still add up.
    sliding: bool = False


LOGIN_FAILURES_PER_PAIR = Limit("login-fail-pair", 5, timedelta(minutes=15), sliding=True)
LOGIN_FAILURES_PER_ADDRESS = Limit("login-fail-ip", 30, timedelta(minutes=15), sliding=True)
SMS_PER_PHONE_MINUTE = Limit("sms-phone-60s", 1, timedelta(seconds=60))
SMS_PER_PHONE_DAY = Limit("sms-phone-day", 10, timedelta(days=1))
SMS_PER_ADDRESS_HOUR = Limit("sms-ip-hour", 30, timedelta(hours=1))
FAMILY_ADDS_PER_PAYER_DAY = Limit("family-add-day", 10, timedelta(days=1))


def key_of(*parts: str) -> str:
    return blind_index("|".join(parts), kind="rate")


def _window_start(limit: Limit, now: datetime) -> datetime:
    seconds = int(limit.window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


class RateLimiter:
    """Counts in the caller's transaction; a failure that must count raises an error with
    `commit_anyway`, so the request commits the count (and nothing else was changed before it)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def count(self, limit: Limit, key: str, now: datetime) -> int:
        start = _window_start(limit, now)
        starts = [start, start - limit.window] if limit.sliding else [start]
        query = select(func.coalesce(func.sum(RateCounter.count), 0)).where(
            RateCounter.key == f"{limit.name}:{key}", RateCounter.window_start.in_(starts)
        )
        return int(self.session.scalar(query) or 0)

    def exceeded(self, limit: Limit, key: str, now: datetime) -> bool:
        return self.count(limit, key, now) >= limit.limit

    def hit(self, limit: Limit, key: str, now: datetime) -> None:
        """Add one to the window's counter: one atomic upsert, safe under concurrent requests."""
        values = {"key": f"{limit.name}:{key}", "window_start": _window_start(limit, now), "count": 1}
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(RateCounter).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": RateCounter.count + 1}
        )
        self.session.execute(statement)
