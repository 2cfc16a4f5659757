"""The consumer of the task queue (`shebao.jobs`): every task registered, in its own process or in threads."""

from __future__ import annotations

from typing import Any

import shebao.registrations  # noqa: F401 - what the tasks' parts register before the runtime is built
from shebao.jobs import huey


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
