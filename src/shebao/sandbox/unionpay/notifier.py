"""The simulated UnionPay's back notifications (后台通知): a urlencoded form signed with the sandbox's
key, posted to `backUrl` and sent again until the merchant answers HTTP 200
(`sandbox/deliveries.py` does the delivering)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
from huey import crontab
from sqlalchemy.orm import Session

from shebao import jobs
from shebao.db import after_commit
from shebao.errors import Inconsistent
from shebao.runtime import Runtime
from shebao.sandbox import deliveries
from shebao.sandbox.unionpay import protocol
from shebao.sandbox.unionpay.models import SandboxUnionpayTrade

# UnionPay sends again while no HTTP 200 comes back; the sandbox waits 1, 2, 4, 8 and 16 minutes.
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 2, 4, 8, 16))
FORM_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


def _build(runtime: Runtime, trade: SandboxUnionpayTrade, now: datetime) -> deliveries.Outgoing:
    if trade.notify_url is None:  # every trade the adapter created carries one
        raise Inconsistent("沙箱交易没有通知地址")
    body = urlencode(protocol.notification_params(runtime.settings, trade)).encode("ascii")
    return deliveries.Outgoing(trade.notify_url, body, {"Content-Type": FORM_TYPE})


def _acknowledged(answer: httpx.Response) -> bool:
    return answer.status_code == 200


PROVIDER = deliveries.Provider("unionpay", SandboxUnionpayTrade, BACKOFF, _build, _acknowledged)


def deliver_due(runtime: Runtime) -> int:
    return deliveries.deliver_due(runtime, PROVIDER)


def deliver_after_commit(session: Session, trade: SandboxUnionpayTrade) -> None:
    if trade.notify_state == deliveries.PENDING:
        trade_id = str(trade.id)
        after_commit(session, lambda: deliver_task(trade_id))


def copies_after_commit(session: Session, trade: SandboxUnionpayTrade, copies: int, delay: int) -> None:
    """Copies now, or after `delay` seconds of the service clock (the sweep sends them; a timer wakes it)."""
    trade_id = str(trade.id)
    if delay:
        after_commit(session, lambda: retry_task.schedule(delay=delay))
    else:
        after_commit(session, lambda: copies_task(trade_id, copies))


@jobs.huey.task(name="sandbox.unionpay.deliver")  # type: ignore[untyped-decorator]
def deliver_task(trade_id: str) -> None:
    deliveries.deliver(jobs.runtime(), PROVIDER, uuid.UUID(trade_id))


@jobs.huey.task(name="sandbox.unionpay.copies")  # type: ignore[untyped-decorator]
def copies_task(trade_id: str, copies: int) -> None:
    deliveries.send_copies(jobs.runtime(), PROVIDER, uuid.UUID(trade_id), copies)


@jobs.huey.periodic_task(crontab(minute="*"), name="sandbox.unionpay.retry")  # type: ignore[untyped-decorator]
def retry_task() -> None:
    runtime = jobs.runtime()
    if runtime.settings.sandboxes_enabled:
        deliver_due(runtime)
