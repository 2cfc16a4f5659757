"""Periodic: settle open payments by query (missed notifications, timeouts) and close expired ones."""

from __future__ import annotations

from huey import crontab

from shebao.jobs import huey, runtime
from shebao.settlement.query import settle_due


@huey.periodic_task(crontab(minute="*"), name="payments.settle_open")  # type: ignore[untyped-decorator]
def settle_open_payments() -> int:
    return settle_due(runtime())
