"""payables/tasks.py: the sweep is a periodic task of the worker."""

from __future__ import annotations

from datetime import datetime


def test_the_periodic_task_is_registered() -> None:
    from shebao import jobs, worker

    worker.register_tasks()
    due_at = {task.name for task in jobs.huey.read_periodic(datetime(2025, 11, 20, 9, 5))}
    assert "payables.generate_due" in due_at
    assert "payables.generate_due" not in {
        t.name for t in jobs.huey.read_periodic(datetime(2025, 11, 20, 9, 6))
    }
