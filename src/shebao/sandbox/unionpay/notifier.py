"""The simulated UnionPay's back notifications (后台通知): a urlencoded form signed with the sandbox's
key, posted to `backUrl` and sent again until the merchant answers HTTP 200
(`sandbox/deliveries.py` does the delivering)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

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


COURIER = deliveries.Courier(PROVIDER)
deliver_due = COURIER.deliver_due
deliver_after_commit = COURIER.deliver_after_commit
copies_after_commit = COURIER.copies_after_commit
