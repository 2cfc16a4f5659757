"""The simulated WeChat Pay's payment callbacks (支付成功通知): the transaction encrypted
AEAD_AES_256_GCM with the APIv3 key, the body signed with the platform key, retried on WeChat Pay's
schedule until the merchant answers 200 or 204 (`sandbox/deliveries.py` does the delivering)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx

from shebao.channels.wechat import fields, keys, resource
from shebao.errors import Inconsistent
from shebao.kit.ids import random_code
from shebao.runtime import Runtime
from shebao.sandbox import deliveries
from shebao.sandbox.wechat import protocol, trades
from shebao.sandbox.wechat.models import SandboxWechatTrade

# WeChat Pay: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h after each failed try (24h4m).
_SECONDS = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
BACKOFF = tuple(timedelta(seconds=s) for s in _SECONDS)


def callback_body(trade: SandboxWechatTrade, apiv3_key: str, now: datetime) -> str:
    """The callback's JSON: the event, its transaction sealed in `resource`."""
    nonce = random_code(12)
    plain = json.dumps(trades.query_answer(trade), ensure_ascii=False, separators=(",", ":"))
    event = {
        "id": trade.event_id,
        "create_time": fields.format_time(now),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": resource.ALGORITHM,
            "ciphertext": resource.encrypt(apiv3_key, nonce, "transaction", plain),
            "associated_data": "transaction",
            "nonce": nonce,
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _build(runtime: Runtime, trade: SandboxWechatTrade, now: datetime) -> deliveries.Outgoing:
    settings = runtime.settings
    text = callback_body(trade, keys.apiv3_key(settings), now)
    headers = {"Content-Type": "application/json", **protocol.signed_headers(settings, now, text)}
    if trade.notify_url is None:  # every trade the adapter created carries one
        raise Inconsistent("沙箱交易没有通知地址")
    return deliveries.Outgoing(trade.notify_url, text.encode("utf-8"), headers)


def _acknowledged(answer: httpx.Response) -> bool:
    return answer.status_code in (200, 204)


PROVIDER = deliveries.Provider("wechat", SandboxWechatTrade, BACKOFF, _build, _acknowledged)


COURIER = deliveries.Courier(PROVIDER)
deliver_due = COURIER.deliver_due
deliver_after_commit = COURIER.deliver_after_commit
copies_after_commit = COURIER.copies_after_commit
