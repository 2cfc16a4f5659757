"""Daily reconciliation, as an hourly sweep on the service clock (yesterday's statements, once each)."""

from __future__ import annotations

from huey import crontab

from shebao.reconciliation.service import reconcile_due
from shebao.worker import huey, runtime


@huey.periodic_task(crontab(minute="7"), name="reconciliation.daily")  # type: ignore[untyped-decorator]
def reconcile_yesterday() -> int:
    return len(reconcile_due(runtime()))
