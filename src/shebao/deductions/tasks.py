"""Periodic: the day's batch deduction (a sweep against the service clock: repeating it deducts nothing
twice), and collecting the bank's late answers to batches already sent."""

from __future__ import annotations

from datetime import date

from huey import crontab

from shebao.deductions.run import collect_all, run
from shebao.jobs import huey, runtime


@huey.periodic_task(crontab(minute="15", hour="*"), name="deductions.run")  # type: ignore[untyped-decorator]
def deductions_run() -> int:
    current = runtime()
    return run(current, current.clock.today()).planned_now


@huey.task(name="deductions.run_date")  # type: ignore[untyped-decorator]
def deductions_run_date(day: str) -> int:
    """A run for a date an operator started in the console (it waits for a run that holds the lock)."""
    return run(runtime(), date.fromisoformat(day)).planned_now


@huey.periodic_task(crontab(minute="*/10"), name="deductions.collect")  # type: ignore[untyped-decorator]
def deductions_collect() -> int:
    return len(collect_all(runtime()))
