"""The task queue (Huey): SQLite storage in the data dir by default, Redis when SHEBAO_REDIS_URL is set.

Tasks (each domain's `tasks.py`) run against the process's `Runtime`. The consumer is `shebao.worker`'s:
`shebao worker` runs one; `shebao demo` runs one in a thread of the serving process; tests run tasks
inline (`huey.immediate = True`).
"""

from __future__ import annotations

import threading

from huey import Huey, RedisHuey, SqliteHuey

from shebao.config import Settings, get_settings
from shebao.runtime import Runtime


def _make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey("shebao", url=settings.redis_url, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("shebao", filename=str(settings.data_dir / "queue.db"), utc=True)


huey: Huey = _make_huey(get_settings())

_runtime: Runtime | None = None
_lock = threading.Lock()


def use_runtime(runtime: Runtime) -> None:
    """Share the serving process's runtime with in-process tasks (demo, tests)."""
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime.build(get_settings())
        return _runtime
