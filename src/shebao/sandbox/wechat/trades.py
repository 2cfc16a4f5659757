"""The simulated WeChat Pay's orders: opened from a verified JSAPI or H5 order, paid or abandoned by the
payer, closed by the merchant or by their own `time_expire` (against the service clock)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.channels.wechat import fields
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_digits
from shebao.sandbox import deliveries
from shebao.sandbox.options import Refusal
from shebao.sandbox.wechat.models import SandboxWechatTrade

JSAPI, MWEB = "JSAPI", "MWEB"
SANDBOX_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # who pays at the sandbox cashier when the order names nobody
_OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_\-|*]{6,32}")


class OrderRefused(Refusal):
    """What the API answers with a WeChat Pay error: HTTP status, `code`, Chinese `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message, code)


def _invalid(message: str) -> OrderRefused:
    return OrderRefused(400, "PARAM_ERROR", f"参数错误：{message}")


def find(session: Session, out_trade_no: str, *, for_update: bool = False) -> SandboxWechatTrade | None:
    query = select(SandboxWechatTrade).where(SandboxWechatTrade.out_trade_no == out_trade_no)
    return session.scalars(query.with_for_update() if for_update else query).first()


def find_by(
    session: Session, column: Any, value: str, *, for_update: bool = False
) -> SandboxWechatTrade | None:
    query = select(SandboxWechatTrade).where(column == value)
    return session.scalars(query.with_for_update() if for_update else query).first()


def _text(body: dict[str, Any], name: str, *, limit: int, pattern: re.Pattern[str] | None = None) -> str:
    value = body.get(name)
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= limit
        or (pattern and not pattern.fullmatch(value))
    ):
        raise _invalid(f"{name} 不正确")
    return value


def _terms(body: dict[str, Any], trade_type: str) -> dict[str, Any]:
    out_trade_no = _text(body, "out_trade_no", limit=32, pattern=_OUT_TRADE_NO)
    description = _text(body, "description", limit=127)
    notify_url = _text(body, "notify_url", limit=255)
    if not notify_url.startswith(("https://", "http://")):
        raise _invalid("notify_url 应为 http(s) 地址")
    amount = body.get("amount")
    try:
        total = fields.total_fen(amount)
    except ValueError as exc:
        raise _invalid("amount.total 应为以分为单位的正整数") from exc
    if not isinstance(amount, dict):
        raise _invalid("amount 应为对象")
    if amount.get("currency", "CNY") != "CNY":
        raise _invalid("amount.currency 仅支持 CNY")
    expires_at = None
    if body.get("time_expire") is not None:
        try:
            expires_at = fields.parse_time(str(body["time_expire"]))
        except ValueError as exc:
            raise _invalid("time_expire 应为 RFC 3339 格式，如 2026-11-27T14:30:00+08:00") from exc
    openid = None
    if trade_type == JSAPI:
        payer = body.get("payer")
        openid = _text(payer if isinstance(payer, dict) else {}, "openid", limit=128)
    else:
        scene = body.get("scene_info")
        if not isinstance(scene, dict) or not isinstance(scene.get("payer_client_ip"), str):
            raise _invalid("H5 下单需要 scene_info.payer_client_ip")
        if not isinstance(scene.get("h5_info"), dict):
            raise _invalid("H5 下单需要 scene_info.h5_info")
    return {
        "out_trade_no": out_trade_no,
        "description": description,
        "notify_url": notify_url,
        "amount_fen": total,
        "expires_at": expires_at,
        "openid": openid,
    }


def open_trade(
    session: Session, body: dict[str, Any], *, trade_type: str, mchid: str, appid: str, now: datetime
) -> SandboxWechatTrade:
    """The order of a request: new, or the one already placed with the same out_trade_no and terms."""
    if body.get("mchid") != mchid:
        raise OrderRefused(400, "MCH_NOT_EXISTS", "商户号不存在或与签名商户号不一致")
    if body.get("appid") != appid:
        raise OrderRefused(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    terms = _terms(body, trade_type)
    existing = find(session, terms["out_trade_no"], for_update=True)
    if existing is not None:
        expire_if_due(existing, now)
        if (existing.amount_fen, existing.description, existing.trade_type) != (
            terms["amount_fen"],
            terms["description"],
            trade_type,
        ):
            raise OrderRefused(400, "INVALID_REQUEST", "商户订单号重复，且与原订单参数不一致")
        if existing.status == fields.SUCCESS:
            raise OrderRefused(400, "ORDERPAID", "该订单已支付")
        if existing.status == fields.CLOSED:
            raise OrderRefused(400, "ORDER_CLOSED", "该订单已关闭")
        return existing
    stamp = to_shanghai(now).strftime("%Y%m%d%H%M%S")
    trade = SandboxWechatTrade(
        out_trade_no=terms["out_trade_no"],
        prepay_id="wx" + stamp + random_digits(16),
        transaction_id="4200" + random_digits(6) + stamp[:8] + random_digits(10),
        mchid=mchid,
        appid=appid,
        trade_type=trade_type,
        amount_fen=terms["amount_fen"],
        description=terms["description"],
        status=fields.NOTPAY,
        openid=terms["openid"],
        expires_at=terms["expires_at"],
        created_at=now,
        notify_url=terms["notify_url"],
    )
    return deliveries.stored(session, trade)


def expire_if_due(trade: SandboxWechatTrade, now: datetime) -> None:
    """An unpaid order past its time_expire is closed (WeChat Pay closes it on time-out)."""
    if trade.status == fields.NOTPAY and trade.expires_at is not None and now >= trade.expires_at:
        trade.status, trade.closed_at = fields.CLOSED, trade.expires_at


def pay(trade: SandboxWechatTrade, now: datetime, *, notify: bool, force: bool = False) -> None:
    """The payer pays. `force` pays even a closed order: the race behind a late success after a close."""
    expire_if_due(trade, now)
    if trade.status == fields.SUCCESS:
        raise OrderRefused(409, "ORDERPAID", "该订单已支付")
    if trade.status == fields.CLOSED and not force:
        raise OrderRefused(409, "ORDER_CLOSED", "该订单已关闭，不能付款")
    trade.status, trade.paid_at = fields.SUCCESS, now
    trade.openid = trade.openid or SANDBOX_OPENID
    # WeChat Pay notifies successes only: the callback's id names this event for all its retries.
    deliveries.start_event(
        trade, "EV-" + to_shanghai(now).strftime("%Y%m%d%H%M%S") + random_digits(8), now, notify=notify
    )


def cancel(trade: SandboxWechatTrade, now: datetime) -> None:
    """The payer gives up and the order closes (no callback: WeChat Pay only notifies payments)."""
    expire_if_due(trade, now)
    if trade.status != fields.NOTPAY:
        raise OrderRefused(409, "TRADE_ERROR", "订单状态不正确：只有未支付的订单可以取消")
    trade.status, trade.closed_at = fields.CLOSED, now


def merchant_close(trade: SandboxWechatTrade, now: datetime) -> None:
    """关闭订单: an unpaid order closes; a paid one cannot."""
    expire_if_due(trade, now)
    if trade.status == fields.SUCCESS:
        raise OrderRefused(400, "ORDERPAID", "订单已支付，不能关闭")
    if trade.status == fields.NOTPAY:
        trade.status, trade.closed_at = fields.CLOSED, now


def query_answer(trade: SandboxWechatTrade) -> dict[str, Any]:
    """查询订单's answer, in WeChat Pay's fields."""
    answer: dict[str, Any] = {
        "appid": trade.appid,
        "mchid": trade.mchid,
        "out_trade_no": trade.out_trade_no,
        "trade_type": trade.trade_type,
        "trade_state": trade.status,
        "trade_state_desc": {fields.SUCCESS: "支付成功", fields.NOTPAY: "未支付", fields.CLOSED: "已关闭"}[
            trade.status
        ],
        "attach": "",
        "amount": {"total": trade.amount_fen, "currency": "CNY"},
    }
    if trade.openid:
        answer["payer"] = {"openid": trade.openid}
    if trade.status == fields.SUCCESS and trade.paid_at is not None:
        answer |= {
            "transaction_id": trade.transaction_id,
            "bank_type": "OTHERS",
            "success_time": fields.format_time(trade.paid_at),
        }
        answer["amount"] |= {"payer_total": trade.amount_fen, "payer_currency": "CNY"}
    return answer
