"""One batch run at a time. PostgreSQL: a session-level advisory lock held on a connection of its own for
the whole run (the database releases it if the process dies). SQLite (one host, one writer): an
exclusive lock on a file beside the data, which the kernel releases if the process dies; every step of
the run still takes SQLite's write lock (BEGIN IMMEDIATE). A run started while another holds the lock
waits for it, then finds nothing left to do. `lock_held` asks without waiting (the console refuses a second
start while a run holds the lock)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from shebao.runtime import Runtime

ADVISORY_KEY = 0x5348_4542_4B4B  # "SHEBKK": batch deduction


@contextmanager
def run_lock(runtime: Runtime) -> Iterator[None]:
    if runtime.db.is_sqlite:
        path = Path(runtime.settings.data_dir) / "deductions.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    with runtime.db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()


def lock_held(runtime: Runtime) -> bool:
    """Whether a run holds the lock now (taken and given back at once when it is free)."""
    if runtime.db.is_sqlite:
        path = Path(runtime.settings.data_dir) / "deductions.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    with runtime.db.engine.connect() as connection:
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        if taken:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
        return not taken
