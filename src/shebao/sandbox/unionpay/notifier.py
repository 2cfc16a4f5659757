"""The simulated UnionPay's back notifications (后台通知) of payments and 退货: a urlencoded form signed
with the sandbox's key, posted to `backUrl` and sent again until the merchant answers HTTP 200
(`sandbox/deliveries.py` does the delivering)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from shebao.errors import Inconsistent
from shebao.runtime import Runtime
from shebao.sandbox import deliveries
from shebao.sandbox.refunds import Notifications
from shebao.sandbox.unionpay import protocol, refund_ledger
from shebao.sandbox.unionpay.models import SandboxUnionpayRefund, SandboxUnionpayTrade

# UnionPay sends again while no HTTP 200 comes back; the sandbox waits 1, 2, 4, 8 and 16 minutes.
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 2, 4, 8, 16))
FORM_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


def _outgoing(url: str | None, params: dict[str, str]) -> deliveries.Outgoing:
    if url is None:  # every trade and 退货 the adapter created carries one
        raise Inconsistent("沙箱交易没有通知地址")
    return deliveries.Outgoing(url, urlencode(params).encode("ascii"), {"Content-Type": FORM_TYPE})


def _build(runtime: Runtime, trade: SandboxUnionpayTrade, now: datetime) -> deliveries.Outgoing:
    return _outgoing(trade.notify_url, protocol.notification_params(runtime.settings, trade))


def _build_refund(runtime: Runtime, refund: SandboxUnionpayRefund, now: datetime) -> deliveries.Outgoing:
    return _outgoing(refund.notify_url, refund_ledger.notification_params(runtime.settings, refund))


def _acknowledged(answer: httpx.Response) -> bool:
    return answer.status_code == 200


EVENTS = ((SandboxUnionpayTrade, _build), (SandboxUnionpayRefund, _build_refund))
NOTIFICATIONS = Notifications("unionpay", "银联沙箱", BACKOFF, _acknowledged, *EVENTS, refund_ledger.event_id)
COURIER, REFUND_DESK = NOTIFICATIONS.courier, NOTIFICATIONS.desk
deliver_due, complete_due_refunds = COURIER.deliver_due, REFUND_DESK.complete_due
