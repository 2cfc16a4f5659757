"""Periodic: refunds sent without a final answer are sent again (same request id) or queried."""

from __future__ import annotations

from huey import crontab

from shebao.jobs import huey, runtime
from shebao.refunds.service import retry_due


@huey.periodic_task(crontab(minute="*"), name="refunds.retry")  # type: ignore[untyped-decorator]
def retry_refunds() -> int:
    return retry_due(runtime())
