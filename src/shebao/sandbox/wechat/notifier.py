"""The simulated WeChat Pay's callbacks, payments' (支付成功通知) and refunds' (退款结果通知): the object
encrypted AEAD_AES_256_GCM with the APIv3 key, the body signed with the platform key, retried on WeChat Pay's
schedule until the merchant answers 200 or 204 (`sandbox/deliveries.py` does the delivering)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import object_session

from shebao.channels.wechat import fields, keys, resource
from shebao.errors import Inconsistent
from shebao.kit.ids import random_code
from shebao.runtime import Runtime
from shebao.sandbox import deliveries
from shebao.sandbox.refunds import Notifications
from shebao.sandbox.wechat import protocol, refund_ledger, trades
from shebao.sandbox.wechat.models import SandboxWechatRefund, SandboxWechatTrade

# WeChat Pay: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h after each failed try (24h4m).
_SECONDS = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
BACKOFF = tuple(timedelta(seconds=s) for s in _SECONDS)


def sealed_event(
    event_id: str,
    event_type: str,
    summary: str,
    kind: str,
    plain: dict[str, Any],
    apiv3_key: str,
    now: datetime,
) -> str:
    """A callback's JSON: the event, its object (`kind`: transaction or refund) sealed in `resource`."""
    nonce = random_code(12)
    text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    event = {
        "id": event_id,
        "create_time": fields.format_time(now),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": kind,
            "algorithm": resource.ALGORITHM,
            "ciphertext": resource.encrypt(apiv3_key, nonce, kind, text),
            "associated_data": kind,
            "nonce": nonce,
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def callback_body(trade: SandboxWechatTrade, apiv3_key: str, now: datetime) -> str:
    """The payment callback (TRANSACTION.SUCCESS): the transaction as a query answers it."""
    return sealed_event(
        str(trade.event_id),
        "TRANSACTION.SUCCESS",
        "支付成功",
        "transaction",
        trades.query_answer(trade),
        apiv3_key,
        now,
    )


def _outgoing(runtime: Runtime, url: str | None, text: str, now: datetime) -> deliveries.Outgoing:
    headers = {"Content-Type": "application/json", **protocol.signed_headers(runtime.settings, now, text)}
    if url is None:  # every trade and refund the adapter created carries one
        raise Inconsistent("沙箱交易没有通知地址")
    return deliveries.Outgoing(url, text.encode("utf-8"), headers)


def _build(runtime: Runtime, trade: SandboxWechatTrade, now: datetime) -> deliveries.Outgoing:
    return _outgoing(
        runtime, trade.notify_url, callback_body(trade, keys.apiv3_key(runtime.settings), now), now
    )


def refund_body(refund: SandboxWechatRefund, apiv3_key: str, now: datetime) -> str:
    """The refund callback (REFUND.SUCCESS, or REFUND.ABNORMAL for a failed refund)."""
    session = object_session(refund)
    if session is None:  # built from a refund loaded for its delivery
        raise Inconsistent("沙箱退款不在会话中")
    plain = refund_ledger.refund_resource(refund, refund_ledger.trade_of(session, refund))
    event_type, summary = refund_ledger.REFUND_EVENTS[plain["refund_status"]]
    return sealed_event(str(refund.event_id), event_type, summary, "refund", plain, apiv3_key, now)


def _build_refund(runtime: Runtime, refund: SandboxWechatRefund, now: datetime) -> deliveries.Outgoing:
    return _outgoing(
        runtime, refund.notify_url, refund_body(refund, keys.apiv3_key(runtime.settings), now), now
    )


def _acknowledged(answer: httpx.Response) -> bool:
    return answer.status_code in (200, 204)


EVENTS = ((SandboxWechatTrade, _build), (SandboxWechatRefund, _build_refund))
NOTIFICATIONS = Notifications(
    "wechat", "微信支付沙箱", BACKOFF, _acknowledged, *EVENTS, refund_ledger.event_id
)
COURIER, REFUND_DESK = NOTIFICATIONS.courier, NOTIFICATIONS.desk
deliver_due, complete_due_refunds = COURIER.deliver_due, REFUND_DESK.complete_due
