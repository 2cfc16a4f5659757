"""Periodic: agreements whose day has come take effect; revocations the bank has not confirmed are resent."""

from __future__ import annotations

from huey import crontab

from shebao.agreements.service import confirm_revocations, take_effect
from shebao.jobs import huey, runtime


@huey.periodic_task(crontab(minute="*"), name="agreements.take_effect")  # type: ignore[untyped-decorator]
def agreements_take_effect() -> int:
    return take_effect(runtime())


@huey.periodic_task(crontab(minute="*/10"), name="agreements.confirm_revocations")  # type: ignore[untyped-decorator]
def agreements_confirm_revocations() -> int:
    return confirm_revocations(runtime())
