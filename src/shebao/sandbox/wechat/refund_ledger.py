"""The simulated WeChat Pay's refunds (申请退款, API v3): the request's terms checked as WeChat Pay checks
them, the refund of a paid order opened once per out_refund_no, and the refund as its answers, queries
and callbacks show it. The rules shared with UnionPay's 退货 are `sandbox/refunds.py`'s."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.channels.wechat import fields
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_digits
from shebao.sandbox import refunds
from shebao.sandbox.wechat.models import SandboxWechatRefund, SandboxWechatTrade
from shebao.sandbox.wechat.trades import OrderRefused, find, find_by

PROVIDER = "wechat"
_OUT_REFUND_NO = re.compile(r"[A-Za-z0-9_\-|*@]{1,64}")
# The refund's status as WeChat Pay names it, and the callback's event type and summary for each outcome.
STATUS = {refunds.PROCESSING: "PROCESSING", refunds.SUCCEEDED: "SUCCESS", refunds.FAILED: "ABNORMAL"}
REFUND_EVENTS = {"SUCCESS": ("REFUND.SUCCESS", "退款成功"), "ABNORMAL": ("REFUND.ABNORMAL", "退款异常")}
USER_ACCOUNT = "支付用户零钱"


def _invalid(message: str) -> OrderRefused:
    return OrderRefused(400, "PARAM_ERROR", f"参数错误：{message}")


def _fen(amount: dict[str, Any], name: str) -> int:
    value = amount.get(name)
    if type(value) is not int or not 0 < value <= fields.MAX_TOTAL_FEN:
        raise _invalid(f"amount.{name} 应为以分为单位的正整数")
    return value


def _terms(body: dict[str, Any]) -> dict[str, Any]:
    out_refund_no = body.get("out_refund_no")
    if not isinstance(out_refund_no, str) or not _OUT_REFUND_NO.fullmatch(out_refund_no):
        raise _invalid("out_refund_no 应为1至64位字母、数字或 _-|*@")
    if not isinstance(body.get("out_trade_no"), str) and not isinstance(body.get("transaction_id"), str):
        raise _invalid("out_trade_no 与 transaction_id 必须二选一")
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise _invalid("amount 应为对象")
    if amount.get("currency") != "CNY":
        raise _invalid("amount.currency 仅支持 CNY")
    notify_url = body.get("notify_url")
    if notify_url is not None and (
        not isinstance(notify_url, str)
        or len(notify_url) > 256
        or not notify_url.startswith(("https://", "http://"))
    ):
        raise _invalid("notify_url 应为不超过256个字符的 http(s) 地址")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 80):
        raise _invalid("reason 不超过80个字符")
    return {
        "out_refund_no": out_refund_no,
        "refund": _fen(amount, "refund"),
        "total": _fen(amount, "total"),
        "notify_url": notify_url,
        "reason": reason or None,
    }


def _trade(session: Session, body: dict[str, Any]) -> SandboxWechatTrade:
    out_trade_no, transaction_id = body.get("out_trade_no"), body.get("transaction_id")
    if isinstance(out_trade_no, str):
        trade = find(session, out_trade_no, for_update=True)
    else:
        trade = find_by(session, SandboxWechatTrade.transaction_id, str(transaction_id), for_update=True)
    if trade is None or (isinstance(transaction_id, str) and trade.transaction_id != transaction_id):
        raise OrderRefused(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    return trade


def event_id(refund: SandboxWechatRefund) -> str:
    return "EV-" + random_digits(18)


def open_refund(
    session: Session, body: dict[str, Any], *, mchid: str, now: datetime, later: bool
) -> tuple[SandboxWechatRefund, SandboxWechatTrade]:
    """The refund a request asks for: new, or the one already made under its out_refund_no (same terms).

    The order is locked first, so two requests for one order are decided one after the other."""
    terms = _terms(body)
    trade = _trade(session, body)
    existing = refunds.find(session, SandboxWechatRefund, terms["out_refund_no"], for_update=True)
    if existing is not None:
        if (existing.out_trade_no, existing.amount_fen) != (trade.out_trade_no, terms["refund"]):
            raise OrderRefused(400, "INVALID_REQUEST", "同一商户退款单号的订单或退款金额与原退款不一致")
        return existing, trade
    if trade.status != fields.SUCCESS:
        raise OrderRefused(400, "INVALID_REQUEST", "订单未支付成功，不能退款")
    if terms["total"] != trade.amount_fen:
        raise _invalid("amount.total 与原订单金额不一致")
    if terms["refund"] > refunds.refundable_fen(
        session, SandboxWechatRefund, trade.out_trade_no, trade.amount_fen
    ):
        raise OrderRefused(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
    stamp = to_shanghai(now).strftime("%Y%m%d")
    refund = SandboxWechatRefund(
        out_refund_no=terms["out_refund_no"],
        refund_no="5030" + random_digits(6) + stamp + random_digits(10),
        merchant=mchid,
        out_trade_no=trade.out_trade_no,
        transaction_id=trade.transaction_id,
        amount_fen=terms["refund"],
        reason=terms["reason"],
        notify_url=terms["notify_url"],
    )
    refunds.start(session, refund, now, later=later, event_id=event_id)
    return refund, trade


def trade_of(session: Session, refund: SandboxWechatRefund) -> SandboxWechatTrade:
    return session.scalars(
        select(SandboxWechatTrade).where(SandboxWechatTrade.out_trade_no == refund.out_trade_no)
    ).one()


def _amount(refund: SandboxWechatRefund, trade: SandboxWechatTrade) -> dict[str, Any]:
    return {
        "total": trade.amount_fen,
        "refund": refund.amount_fen,
        "payer_total": trade.amount_fen,
        "payer_refund": refund.amount_fen,
    }


def _shown(refund: SandboxWechatRefund, **more: Any) -> dict[str, Any]:
    """What every view of a refund names (its ids, the trade's, where the money went, when it succeeded)
    and `more`."""
    content: dict[str, Any] = {
        "refund_id": refund.refund_no,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "user_received_account": USER_ACCOUNT,
        **more,
    }
    if refund.refunded_at is not None:
        content["success_time"] = fields.format_time(refund.refunded_at)
    return content


def answer(refund: SandboxWechatRefund, trade: SandboxWechatTrade) -> dict[str, Any]:
    """申请退款 and 查询单笔退款's answer, in WeChat Pay's fields."""
    amount = _amount(refund, trade) | {
        "settlement_refund": refund.amount_fen,
        "settlement_total": trade.amount_fen,
        "discount_refund": 0,
        "currency": "CNY",
        "refund_fee": 0,
    }
    return _shown(
        refund,
        channel="ORIGINAL",
        create_time=fields.format_time(refund.created_at),
        status=STATUS[refund.status],
        funds_account="AVAILABLE",
        amount=amount,
    )


def refund_resource(refund: SandboxWechatRefund, trade: SandboxWechatTrade) -> dict[str, Any]:
    """The refund callback's decrypted `resource`."""
    return _shown(
        refund, mchid=refund.merchant, refund_status=STATUS[refund.status], amount=_amount(refund, trade)
    )
