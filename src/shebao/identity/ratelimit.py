"""Counters and locks in the database, keyed by blind indexes (never a plaintext phone, document or address).

Counters are written in the request's transaction; an error raised after a counted failure carries
`commit_anyway`, so the count is committed though the request failed. Failures count per
(phone, document, address) and per address, never per phone or document alone: a stranger cannot
lock a citizen out (docs/decisions/0009-login-limits.md, docs/security.md).

A counter that reaches its limit becomes a lock with an end (`rate_locks`), and the counter starts
afresh: a message states the true remaining time and the lock ends then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shebao.identity.models import RateCounter, RateLock
from shebao.kit.crypto import blind_index


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window: timedelta
    # Count the previous window too, so failures spread across a window boundary still add up.
    sliding: bool = False
    # Reaching the limit locks the key this long (None: the limit only counts).
    lock: timedelta | None = None


# Login failures of any kind (wrong code, name and document not matching, face refused).
LOGIN_FAILURES_PER_PAIR_ADDRESS = Limit(
    "login-fail-pair-ip", 5, timedelta(minutes=15), sliding=True, lock=timedelta(minutes=15)
)
# From one address: past the first figure every login needs a captcha; past the second, a lock.
LOGIN_FAILURES_BEFORE_CAPTCHA = Limit("login-fail-ip", 10, timedelta(minutes=15), sliding=True)
LOGIN_FAILURES_PER_ADDRESS = Limit(
    "login-fail-ip", 100, timedelta(minutes=15), sliding=True, lock=timedelta(minutes=15)
)
# SMS codes sent: per address (all phones), a captcha past the first figure, a lock past the second.
SMS_PER_ADDRESS_BEFORE_CAPTCHA = Limit("sms-ip-hour", 10, timedelta(hours=1), sliding=True)
SMS_PER_ADDRESS_HOUR = Limit("sms-ip-hour", 100, timedelta(hours=1), sliding=True, lock=timedelta(hours=1))
# Captchas issued to one address (each is a row and an image to draw).
CAPTCHAS_PER_ADDRESS = Limit(
    "captcha-ip", 60, timedelta(minutes=10), sliding=True, lock=timedelta(minutes=10)
)
FAMILY_ADDS_PER_PAYER_DAY = Limit("family-add-day", 10, timedelta(days=1))


def key_of(*parts: str) -> str:
    return blind_index("|".join(parts), kind="rate")


def _window_start(limit: Limit, now: datetime) -> datetime:
    seconds = int(limit.window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def minutes_left(until: datetime, now: datetime) -> int:
    """Whole minutes, rounded up: what a lock message says."""
    return max(1, math.ceil((until - now).total_seconds() / 60))


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
        insert = pg_insert if self._postgres else sqlite_insert
        statement = insert(RateCounter).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": RateCounter.count + 1}
        )
        self.session.execute(statement)

    def fail(self, limit: Limit, key: str, now: datetime) -> None:
        """Count one; at the limit, lock the key for `limit.lock` from now and start counting afresh."""
        self.hit(limit, key, now)
        if limit.lock is not None and self.exceeded(limit, key, now):
            self.lock(limit, key, now + limit.lock)
            self.clear(limit, key)

    def clear(self, limit: Limit, key: str) -> None:
        self.session.execute(delete(RateCounter).where(RateCounter.key == f"{limit.name}:{key}"))

    def lock(self, limit: Limit, key: str, until: datetime) -> None:
        insert = pg_insert if self._postgres else sqlite_insert
        statement = insert(RateLock).values(key=f"{limit.name}:{key}", locked_until=until)
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={"locked_until": until})
        self.session.execute(statement)

    def locked_until(self, limit: Limit, key: str, now: datetime) -> datetime | None:
        until = self.session.scalar(
            select(RateLock.locked_until).where(RateLock.key == f"{limit.name}:{key}")
        )
        return until if until is not None and until > now else None

    def unlock(self, limit: Limit, key: str) -> None:
        self.session.execute(delete(RateLock).where(RateLock.key == f"{limit.name}:{key}"))

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"
