"""Daily reconciliation, as an hourly sweep on the service clock (yesterday's statements, once each)."""

from __future__ import annotations

from huey import crontab

from shebao.jobs import huey, runtime
from shebao.reconciliation.service import reconcile_due


@huey.periodic_task(crontab(minute="7"), name="reconciliation.daily")  # type: ignore[untyped-decorator]
def reconcile_yesterday() -> int:
    return len(reconcile_due(runtime()))
