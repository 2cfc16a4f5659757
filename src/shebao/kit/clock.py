"""The service clock (API.md: "Every time rule ... follows the service clock").

In production it is real time. Elsewhere it starts at `SHEBAO_CLOCK` and runs forward in real time;
`POST /sandbox/clock` moves it forward. The offset lives in the database, so every process of one
deployment shares it; each process re-reads it at most once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shebao.db import Base

SHANGHAI = ZoneInfo("Asia/Shanghai")
_CACHE_SECONDS = 1.0


class ClockError(ValueError):
    pass


class ClockState(Base):
    __tablename__ = "service_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_us: Mapped[int] = mapped_column(BigInteger, default=0)
    started_from: Mapped[str | None] = mapped_column(String(64))


def real_now() -> datetime:
    return datetime.now(UTC)


class ServiceClock:
    def __init__(self, session_factory: Callable[[], Session] | None, *, frozen_real_time: bool) -> None:
        self._session_factory = session_factory
        self._real_only = frozen_real_time
        self._offset = timedelta(0)
        self._read_at = float("-inf")

    @property
    def is_rehearsal(self) -> bool:
        return not self._real_only and self._offset_now() != timedelta(0)

    def _offset_now(self) -> timedelta:
        if self._real_only or self._session_factory is None:
            return timedelta(0)
        if time.monotonic() - self._read_at > _CACHE_SECONDS:
            with self._session_factory() as session:
                state = session.get(ClockState, 1)
                self._offset = timedelta(microseconds=state.offset_us if state else 0)
            self._read_at = time.monotonic()
        return self._offset

    def now(self) -> datetime:
        return real_now() + self._offset_now()

    def today(self) -> date:
        """Today in Asia/Shanghai: every date rule (windows, effective dates, late fees) counts in it."""
        return self.now().astimezone(SHANGHAI).date()

    def start_at(self, session: Session, start: datetime | None) -> None:
        """At start-up: begin the rehearsal clock at `start` unless it already runs from that start.
        Without a start (SHEBAO_CLOCK unset) a process follows the deployment's clock as it stands."""
        if self._real_only or start is None:
            return
        label = start.isoformat() if start else None
        state = session.get(ClockState, 1)
        if state is not None and state.started_from == label:
            return
        offset = (start - real_now()) if start else timedelta(0)
        if state is None:
            state = ClockState(id=1)
            session.add(state)
        state.offset_us = _micros(offset)
        state.started_from = label
        session.flush()
        self._remember(offset)

    def move_to(self, session: Session, target: datetime) -> datetime:
        """Move the clock forward to `target` (never back: time rules already applied stay applied)."""
        if self._real_only:
            raise ClockError("生产环境不能调整服务时钟")
        if target.tzinfo is None:
            raise ClockError("时间必须带时区，例如 2026-11-28T09:00:00+08:00")
        state = session.execute(select(ClockState).where(ClockState.id == 1).with_for_update()).scalar()
        current = real_now() + timedelta(microseconds=state.offset_us if state else 0)
        if target < current:
            raise ClockError("服务时钟只能向前调整")
        offset = target - real_now()
        if state is None:
            state = ClockState(id=1, started_from=None)
            session.add(state)
        state.offset_us = _micros(offset)
        session.flush()
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
