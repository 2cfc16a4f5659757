"""The task queue (Huey): SQLite storage in the data dir by default, Redis when SHEBAO_REDIS_URL is set.

Tasks run against the process's `Runtime`. `shebao worker` runs a consumer; `shebao demo` runs one in a
thread of the serving process; tests run tasks inline (`huey.immediate = True`).
"""

from __future__ import annotations

import threading
from typing import Any

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


def register_tasks() -> None:
    """Import every module that declares tasks, so the consumer knows them."""
    import shebao.tasks  # noqa: F401


def start_in_process(workers: int = 2) -> Any:
    """An in-process consumer for the demo: worker threads and the periodic scheduler.

    start() spawns the threads and returns. It installs signal handlers, so it runs on the main
    thread; the server installs its own afterwards, and Ctrl+C stops the whole process."""
    register_tasks()
    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=False
    )
    consumer.start()
    return consumer
