"""Periodic: delete the login's rows that no rule reads any more (identity/purge.py)."""

from __future__ import annotations

from huey import crontab

from shebao.identity.purge import purge
from shebao.jobs import huey, runtime
from shebao.logging import log


@huey.periodic_task(crontab(minute="13"), name="identity.purge")  # type: ignore[untyped-decorator]
def purge_login_rows() -> dict[str, int]:
    with runtime().work().step() as step:
        deleted = purge(step.session, step.now)
    log.info("identity_purged", **deleted)
    return deleted
