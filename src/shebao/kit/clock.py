"""The service clock (API.md: "Every time rule ... follows the service clock").

In production it is real time. Elsewhere it starts at `SHEBAO_CLOCK` and runs forward in real time;
`POST /sandbox/clock` moves it forward. The offset is stored (`shebao.clockstore`: a database row), so
every process of one deployment shares it; each process re-reads it at most once a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

SHANGHAI = ZoneInfo("Asia/Shanghai")
_CACHE_SECONDS = 1.0


class ClockError(ValueError):
    pass


@dataclass
class StoredClock:
    offset_us: int
    started_from: str | None


class ClockStore(Protocol):
    """Where a deployment keeps its clock's offset (`shebao.clockstore.DatabaseClockStore`)."""

    def offset_us(self) -> int:
        """The stored offset, read in a session of its own (0 when none is stored)."""
        ...

    def load(self, session: Session, *, for_update: bool = False) -> StoredClock | None: ...

    def save(self, session: Session, state: StoredClock) -> None: ...


def real_now() -> datetime:
    return datetime.now(UTC)


class ServiceClock:
    def __init__(self, store: ClockStore | None, *, frozen_real_time: bool) -> None:
        self._store = store
        self._real_only = frozen_real_time
        self._offset = timedelta(0)
        self._read_at = float("-inf")
        self._refreshing = threading.Lock()

    @property
    def is_rehearsal(self) -> bool:
        return not self._real_only and self._offset_now() != timedelta(0)

    def _offset_now(self) -> timedelta:
        if self._real_only or self._store is None:
            return timedelta(0)
        if time.monotonic() - self._read_at > _CACHE_SECONDS:
            self._refresh()
        return self._offset

    def _refresh(self) -> None:
        """One thread re-reads the stored offset; the others go on with the one they have (never read
        yet: they wait for it). Every thread re-reading at once took a connection each: a tenth of a busy
        serve process's samples on a loaded machine."""
        first = self._read_at == float("-inf")
        if not self._refreshing.acquire(blocking=first):
            return
        try:
            if time.monotonic() - self._read_at > _CACHE_SECONDS:
                self._offset = timedelta(microseconds=self._store.offset_us())  # type: ignore[union-attr]
                self._read_at = time.monotonic()
        finally:
            self._refreshing.release()

    def now(self) -> datetime:
        return real_now() + self._offset_now()

    def today(self) -> date:
        """Today in Asia/Shanghai: every date rule (windows, effective dates, late fees) counts in it."""
        return self.now().astimezone(SHANGHAI).date()

    def start_at(self, session: Session, start: datetime | None) -> None:
        """At start-up: begin the rehearsal clock at `start` unless it already runs from that start.
        Without a start (SHEBAO_CLOCK unset) a process follows the deployment's clock as it stands."""
        if self._real_only or start is None or self._store is None:
            return
        label = start.isoformat() if start else None
        state = self._store.load(session)
        if state is not None and state.started_from == label:
            return
        offset = (start - real_now()) if start else timedelta(0)
        self._store.save(session, StoredClock(offset_us=_micros(offset), started_from=label))
        self._remember(offset)

    def move_to(self, session: Session, target: datetime) -> datetime:
        """Move the clock forward to `target` (never back: time rules already applied stay applied)."""
        if self._real_only:
            raise ClockError("生产环境不能调整服务时钟")
        if target.tzinfo is None:
            raise ClockError("时间必须带时区，例如 2026-11-28T09:00:00+08:00")
        if self._store is None:
            raise ClockError("服务时钟没有存储，不能调整")
        state = self._store.load(session, for_update=True)
        current = real_now() + timedelta(microseconds=state.offset_us if state else 0)
        if target < current:
            raise ClockError("服务时钟只能向前调整")
        offset = target - real_now()
        self._store.save(
            session,
            StoredClock(offset_us=_micros(offset), started_from=state.started_from if state else None),
        )
        self._remember(offset)
        return target

    def _remember(self, offset: timedelta) -> None:
        self._offset = offset
        self._read_at = time.monotonic()


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def format_local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if moment is None else to_shanghai(moment).strftime(fmt)


def start_of_local_day(day: date) -> datetime:
    """Midnight of `day` in Asia/Shanghai, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)
