"""The service clock's stored offset: one row that every process of a deployment shares (kit/clock.py)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shebao.db import Base
from shebao.kit.clock import StoredClock


class ClockState(Base):
    __tablename__ = "service_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_us: Mapped[int] = mapped_column(BigInteger, default=0)
    started_from: Mapped[str | None] = mapped_column(String(64))


class DatabaseClockStore:
    """The `service_clock` row (id 1)."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory

    def offset_us(self) -> int:
        with self._session_factory() as session:
            state = session.get(ClockState, 1)
            return state.offset_us if state else 0

    def load(self, session: Session, *, for_update: bool = False) -> StoredClock | None:
        if for_update:
            state = session.execute(select(ClockState).where(ClockState.id == 1).with_for_update()).scalar()
        else:
            state = session.get(ClockState, 1)
        return (
            None if state is None else StoredClock(offset_us=state.offset_us, started_from=state.started_from)
        )

    def save(self, session: Session, clock: StoredClock) -> None:
        state = session.get(ClockState, 1)
        if state is None:
            state = ClockState(id=1)
            session.add(state)
        state.offset_us = clock.offset_us
        state.started_from = clock.started_from
        session.flush()
