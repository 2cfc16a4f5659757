"""The simulated UnionPay's 退货 (txnType 04): the request checked as UnionPay checks it, the refund of a
paid order opened once per orderId (a repeated orderId is 重复交易, respCode 12), and the refund as its
answer, its query and its back notification show it. The rules shared with WeChat Pay's refunds are
`sandbox/refunds.py`'s."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.channels.unionpay import fields, keys, signing
from shebao.config import Settings
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_digits
from shebao.sandbox import refunds
from shebao.sandbox.unionpay import protocol, trades
from shebao.sandbox.unionpay.models import PAID, SandboxUnionpayRefund, SandboxUnionpayTrade
from shebao.sandbox.unionpay.protocol import OK
from shebao.sandbox.unionpay.trades import TradeRefused

PROVIDER = "unionpay"
BIZ_TYPE = fields.BIZ_GATEWAY
REFUND_FAILED = "01"


def _format(reason: str) -> TradeRefused:
    return TradeRefused("30", f"报文格式错误：{reason}")


def _terms(params: dict[str, str]) -> dict[str, str | int]:
    expected = {"txnType": fields.TXN_REFUND, "txnSubType": "00", "bizType": BIZ_TYPE, "accessType": "0"}
    for name, value in expected.items():
        if params.get(name) != value:
            raise _format(f"{name} 应为 {value}")
    if params.get("currencyCode", fields.CURRENCY_CNY) != fields.CURRENCY_CNY:
        raise _format("currencyCode 应为 156")
    order_id, amount_fen = trades.order_terms(params)
    back_url = trades.url(params, "backUrl")
    if not params.get("origQryId"):
        raise _format("退货需要原交易的 origQryId")
    if len(params.get("reqReserved", "")) > 256:
        raise _format("reqReserved 不超过256个字符")
    return {"order_id": order_id, "amount_fen": amount_fen, "back_url": back_url}


def event_id(refund: SandboxUnionpayRefund) -> str:
    code = fields.SUCCESS if refund.status == refunds.SUCCEEDED else REFUND_FAILED
    return f"{refund.refund_no}:{code}"


def open_refund(
    session: Session, params: dict[str, str], now: datetime, *, later: bool
) -> SandboxUnionpayRefund:
    """The 退货 of a verified request. The paid order is locked first, so two requests for one order are
    decided one after the other."""
    terms = _terms(params)
    trade = session.scalars(
        select(SandboxUnionpayTrade)
        .where(SandboxUnionpayTrade.query_id == params["origQryId"])
        .with_for_update()
    ).first()
    if trade is None:
        raise TradeRefused("35", "原交易不存在或状态不正确")
    if refunds.find(session, SandboxUnionpayRefund, str(terms["order_id"]), for_update=True) is not None:
        raise TradeRefused(fields.DUPLICATE, "重复交易：该订单号已有退货")
    if trade.status != PAID:
        raise TradeRefused("35", "原交易不存在或状态不正确：原交易未成功支付")
    amount_fen = int(terms["amount_fen"])
    if amount_fen > refunds.refundable_fen(session, SandboxUnionpayRefund, trade.order_id, trade.amount_fen):
        raise TradeRefused("33", "交易金额超限：退货金额超过原交易可退金额")
    refund = SandboxUnionpayRefund(
        out_refund_no=str(terms["order_id"]),
        refund_no=params["txnTime"][2:] + random_digits(9),
        merchant=trade.mer_id,
        out_trade_no=trade.order_id,
        amount_fen=amount_fen,
        txn_time=params["txnTime"],
        orig_query_id=trade.query_id,
        trace_no=random_digits(6),
        req_reserved=params.get("reqReserved") or None,
        notify_url=str(terms["back_url"]),
    )
    return refunds.start(session, refund, now, later=later, event_id=event_id)


def _refund_fields(refund: SandboxUnionpayRefund) -> dict[str, str]:
    return {
        "orderId": refund.out_refund_no,
        "txnTime": refund.txn_time,
        "txnAmt": str(refund.amount_fen),
        "currencyCode": fields.CURRENCY_CNY,
        "queryId": refund.refund_no,
        "origQryId": refund.orig_query_id,
        "reqReserved": refund.req_reserved or "",
    }


def accepted(settings: Settings, refund: SandboxUnionpayRefund) -> dict[str, str]:
    """The synchronous answer: 受理成功 (respCode 00); the outcome comes by notification or query."""
    return (
        protocol.common(settings, fields.TXN_REFUND, BIZ_TYPE)
        | _refund_fields(refund)
        | {"respCode": fields.SUCCESS, "respMsg": OK}
    )


def query_answer(settings: Settings, params: dict[str, str], refund: SandboxUnionpayRefund) -> dict[str, str]:
    """queryTrans.do for a 退货's orderId: its outcome as origRespCode (05 while it is processing)."""
    if refund.status == refunds.SUCCEEDED:
        outcome = {"origRespCode": fields.SUCCESS, "origRespMsg": OK}
    elif refund.status == refunds.PROCESSING:
        outcome = {"origRespCode": "05", "origRespMsg": "交易已受理，请稍后查询交易结果"}
    else:
        outcome = {"origRespCode": REFUND_FAILED, "origRespMsg": "交易失败[退货失败]"}
    return (
        protocol.common(settings, fields.TXN_QUERY, "000000")
        | {"orderId": params.get("orderId", ""), "txnTime": params.get("txnTime", "")}
        | _refund_fields(refund)
        | {"respCode": fields.SUCCESS, "respMsg": OK}
        | outcome
    )


def notification_params(settings: Settings, refund: SandboxUnionpayRefund) -> dict[str, str]:
    """The signed back notification of a 退货's outcome."""
    params = protocol.common(settings, fields.TXN_REFUND, BIZ_TYPE) | _refund_fields(refund)
    if refund.status == refunds.SUCCEEDED and refund.refunded_at is not None:
        done = to_shanghai(refund.refunded_at)
        params |= {
            "respCode": fields.SUCCESS,
            "respMsg": OK,
            "traceNo": refund.trace_no,
            "traceTime": done.strftime("%m%d%H%M%S"),
            "settleAmt": str(refund.amount_fen),
            "settleCurrencyCode": fields.CURRENCY_CNY,
            "settleDate": done.strftime("%m%d"),
        }
    else:
        params |= {"respCode": REFUND_FAILED, "respMsg": "交易失败[退货失败]"}
    return signing.signed(params, keys.sandbox_private_key(settings))
