"""WeChat Pay's refunds (API v3) in the refund protocol's terms (`channels/base.RefundingAdapter`).

- 申请退款 `POST /v3/refund/domestic/refunds` with out_trade_no (or transaction_id), out_refund_no, reason,
  notify_url and `amount {refund, total, currency}`; WeChat Pay deduplicates by out_refund_no (the same
  number answers the refund already made). Its answer's `status`: SUCCESS, PROCESSING (the end comes by
  callback or query), ABNORMAL (退款异常) or CLOSED (退款关闭).
- 查询单笔退款 `GET /v3/refund/domestic/refunds/{out_refund_no}`.
- 退款结果通知: `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`, the refund sealed AEAD_AES_256_GCM in
  `resource` (original_type `refund`) and signed like every callback (`notification.opened`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.base import (
    ChannelError,
    ChannelRefund,
    InvalidNotification,
    RefundNotification,
    RefundState,
    RefundStatus,
)
from shebao.channels.wechat import fields, notification

PATH = "/v3/refund/domestic/refunds"
# WeChat Pay's refusals that are about the refund itself (a final answer); others are ours to fix.
DECLINES = frozenset(
    ("INVALID_REQUEST", "RESOURCE_NOT_EXISTS", "NOT_ENOUGH", "USER_ACCOUNT_ABNORMAL", "ORDER_CLOSED")
)
NOT_FOUND = "RESOURCE_NOT_EXISTS"
STATUS: dict[str, RefundStatus] = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    "ABNORMAL": "failed",
    "CLOSED": "failed",
}
FAILURES = {"ABNORMAL": "微信支付退款异常（如用户的银行卡已注销）", "CLOSED": "微信支付退款已关闭"}


def request_body(refund: ChannelRefund) -> dict[str, Any]:
    if not 0 < refund.amount_fen <= refund.total_fen:
        raise ChannelError("退款金额必须大于0且不超过原支付金额")
    body: dict[str, Any] = (
        {"transaction_id": refund.provider_trade_no}
        if refund.provider_trade_no
        else {"out_trade_no": refund.out_trade_no}
    )
    return body | {
        "out_refund_no": refund.out_refund_no,
        "reason": refund.reason[:80],
        "notify_url": refund.notify_url,
        "amount": {"refund": refund.amount_fen, "total": refund.total_fen, "currency": "CNY"},
    }


def _fen(amount: Any, name: str) -> int:
    value = amount.get(name) if isinstance(amount, dict) else None
    if type(value) is not int or not 0 < value <= fields.MAX_TOTAL_FEN:
        raise ValueError(f"amount.{name} is not a positive integer of fen")
    return value


def state(answer: Mapping[str, Any], out_refund_no: str) -> RefundState:
    """申请退款 or 查询单笔退款's answer, for the refund `out_refund_no`."""
    if answer.get("out_refund_no") != out_refund_no:
        raise ChannelError("微信支付退款应答与退款单号不符")
    status = STATUS.get(str(answer.get("status")))
    if status is None:
        raise ChannelError(f"微信支付返回了未知的退款状态：{answer.get('status')}")
    try:
        amount_fen = _fen(answer.get("amount"), "refund")
        success = answer.get("success_time")
        refunded_at = fields.parse_time(str(success)) if success and status == "succeeded" else None
    except ValueError as exc:
        raise ChannelError("微信支付退款应答格式不正确") from exc
    return RefundState(
        out_refund_no=out_refund_no,
        status=status,
        amount_fen=amount_fen,
        provider_refund_no=str(answer.get("refund_id") or "") or None,
        refunded_at=refunded_at,
        failure_reason=FAILURES.get(str(answer.get("status"))),
    )


def parse_notification(
    body: bytes,
    headers: Mapping[str, str],
    *,
    mchid: str,
    apiv3_key: str,
    keys: Mapping[str, rsa.RSAPublicKey],
    now: datetime,
) -> RefundNotification:
    event, refund = notification.opened(body, headers, apiv3_key=apiv3_key, keys=keys, now=now, kind="refund")
    event_type = str(event.get("event_type", ""))
    if not event_type.startswith("REFUND."):
        raise InvalidNotification(f"format: event_type {event_type} is not a refund's")
    if refund.get("mchid") != mchid:
        raise InvalidNotification("merchant: not this merchant's")
    refund_status = str(refund.get("refund_status", ""))
    status = STATUS.get(refund_status)
    if status is None or status == "pending" or event_type != f"REFUND.{refund_status}":
        raise InvalidNotification(f"format: refund_status {refund_status} with event_type {event_type}")
    try:
        amount_fen = _fen(refund.get("amount"), "refund")
        success = refund.get("success_time")
        refunded_at = fields.parse_time(str(success)) if success and status == "succeeded" else None
    except ValueError as exc:
        raise InvalidNotification(f"format: {exc}") from exc
    out_refund_no, out_trade_no = _text(refund, "out_refund_no"), _text(refund, "out_trade_no")
    raw = {
        "id": str(event["id"]),
        "event_type": event_type,
        "create_time": str(event.get("create_time", "")),
        "out_trade_no": out_trade_no,
        "transaction_id": str(refund.get("transaction_id", "")),
        "out_refund_no": out_refund_no,
        "refund_id": str(refund.get("refund_id", "")),
        "refund_status": refund_status,
        "amount_refund": str(amount_fen),
        "success_time": str(success or ""),
        "mchid": mchid,
    }
    return RefundNotification(
        event_id=str(event["id"]),
        out_refund_no=out_refund_no,
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        status="succeeded" if status == "succeeded" else "failed",
        provider_refund_no=str(refund.get("refund_id") or "") or None,
        refunded_at=refunded_at,
        raw=raw,
    )


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidNotification(f"format: missing {name}")
    return value
