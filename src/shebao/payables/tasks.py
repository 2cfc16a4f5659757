"""Periodic payables generation: a sweep that compares with the service clock, so moving the clock
forward (POST /sandbox/clock) has the same effect as waiting."""

from __future__ import annotations

from huey import crontab

from shebao import jobs
from shebao.logging import log
from shebao.payables.service import SweepResult, sweep
from shebao.runtime import Runtime


def generate_due_payables(runtime: Runtime) -> SweepResult:
    """Add the payables that became due (new flexible-employment months, a collection window that
    opened); idempotent. The periodic task runs it; tests call it directly."""
    return sweep(runtime.work(), runtime.clock)


@jobs.huey.periodic_task(crontab(minute="*/5"), name="payables.generate_due")  # type: ignore[untyped-decorator]
def generate_due_payables_task() -> None:
    result = generate_due_payables(jobs.runtime())
    log.info("payables_generated", enrolments=result.enrolments, created=result.created)
