"""What one process holds: settings, the database, the service clock. Built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shebao.clockstore import DatabaseClockStore
from shebao.config import Settings
from shebao.db import Database, UnitOfWork
from shebao.kit import crypto, wakeups
from shebao.kit.clock import ServiceClock


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: ServiceClock
    # Provider adapters of this process, built once (they hold parsed keys): payments.registry.
    adapters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        settings.check_for_production()
        crypto.configure(settings.secret_key)
        wakeups.board.configure(settings.redis_url)  # wake-ups reach other processes through Redis
        db = Database(settings)
        clock = ServiceClock(DatabaseClockStore(db.session), frozen_real_time=settings.is_production)
        return cls(settings=settings, db=db, clock=clock)

    def work(self) -> UnitOfWork:
        """A unit of work whose steps read the service clock."""
        return UnitOfWork(self.db, self.clock.now)

    def start_clock(self) -> None:
        """Begin the rehearsal clock at SHEBAO_CLOCK (once per start value, shared by all processes)."""
        if self.settings.is_production:
            return
        with UnitOfWork(self.db).step() as step:
            self.clock.start_at(step.session, self.settings.clock)
