"""`/sandbox/alipay/gateway.do` (Alipay's gateway: JSON methods, and the cashier for a WAP order) and
`/sandbox/alipay/orders` (where the adapter hands over the signed WAP order the browser will carry:
`cashier.order_router`).

Like Alipay, the gateway answers protocol and business errors as HTTP 200 with a signed JSON body whose
`code`/`sub_code` say what is wrong (`sub_msg` in Chinese); only an unreadable request is a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.channels.alipay import fields
from shebao.config import Settings
from shebao.deps import Clock, RuntimeDep, WriteSession
from shebao.kit.clock import ServiceClock
from shebao.sandbox.alipay import bills, protocol, refunds, trades
from shebao.sandbox.alipay.cashier import CASHIER
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.cashier import order_router

router = APIRouter()

WAP_PAY = "alipay.trade.wap.pay"
Params = Annotated[dict[str, str], Depends(protocol.gateway_params)]


class OrderReceived(BaseModel):
    out_trade_no: str
    trade_no: str
    status: str


def open_order(
    session: Session, params: dict[str, str], settings: Settings, now: datetime
) -> SandboxAlipayTrade:
    """A signed `alipay.trade.wap.pay` order, checked and recorded (the cashier's, or the one handed over)."""
    request = protocol.check_request(params, settings)
    if request.method != WAP_PAY:
        raise trades.TradeRefused("isv.invalid-method", f"此处只接受 {WAP_PAY} 订单", code="40002")
    return trades.open_trade(
        session,
        app_id=request.app_id,
        biz={**request.biz, "product_code": request.biz.get("product_code") or "QUICK_WAP_PAY"},
        notify_url=request.params.get("notify_url"),
        return_url=request.params.get("return_url"),
        now=now,
    )


@router.get("/gateway.do", summary="支付宝网关（GET：手机网站支付收银台或接口调用）", response_model=None)
@router.post("/gateway.do", summary="支付宝网关（POST：接口调用）", response_model=None)
def gateway(
    request: Request, params: Params, session: WriteSession, runtime: RuntimeDep, clock: Clock
) -> Response:
    settings = runtime.settings
    method = params.get("method", "")
    if method == WAP_PAY:
        try:
            trade = open_order(session, params, settings, clock.now())
        except trades.TradeRefused as refused:
            return CASHIER.page(request, None, error=refused.said, status_code=400)
        return CASHIER.page(request, trade)
    key_name = protocol.response_key(method) if method in _METHODS else "error_response"
    try:
        checked = protocol.check_request(params, settings)
        if checked.method not in _METHODS:
            raise trades.TradeRefused("isv.invalid-method", "不存在的方法名", code="40002")
        content = _METHODS[checked.method](session, checked, clock)
    except trades.TradeRefused as refused:
        return protocol.refusal(settings, key_name, refused)
    return protocol.success(settings, checked.method, content)


def _create(session: Session, request: protocol.GatewayRequest, clock: ServiceClock) -> dict[str, Any]:
    if not (request.biz.get("buyer_id") or request.biz.get("buyer_open_id")):
        raise trades.TradeRefused("ACQ.INVALID_PARAMETER", "参数无效：缺少买家标识 buyer_id 或 buyer_open_id")
    trade = trades.open_trade(
        session,
        app_id=request.app_id,
        biz={**request.biz, "product_code": request.biz.get("product_code") or "JSAPI_PAY"},
        notify_url=request.params.get("notify_url"),
        return_url=None,
        now=clock.now(),
    )
    if trade.status == fields.TRADE_SUCCESS:
        raise trades.TradeRefused("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
    if trade.status == fields.TRADE_CLOSED:
        raise trades.TradeRefused("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
    return {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no}


def _query(session: Session, request: protocol.GatewayRequest, clock: ServiceClock) -> dict[str, Any]:
    trade = trades.of_request(session, request)
    trades.expire_if_due(trade, clock.now())
    content: dict[str, Any] = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.status,
        "total_amount": fields.yuan(trade.amount_fen),
    }
    if trade.buyer_id:
        content["buyer_user_id"] = trade.buyer_id
    if trade.status == fields.TRADE_SUCCESS and trade.paid_at is not None:
        amount = fields.yuan(trade.amount_fen)
        content |= {"buyer_pay_amount": amount, "receipt_amount": amount, "point_amount": "0.00"}
        content["send_pay_date"] = fields.format_time(trade.paid_at)
    return content


def _close(session: Session, request: protocol.GatewayRequest, clock: ServiceClock) -> dict[str, Any]:
    trade = trades.of_request(session, request)
    trades.merchant_close(trade, clock.now())
    return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}


_METHODS = {
    "alipay.trade.create": _create,
    "alipay.trade.query": _query,
    "alipay.trade.close": _close,
    bills.METHOD: bills.bill_url,
    refunds.REFUND: refunds.refund,
    refunds.REFUND_QUERY: refunds.query,
}


router.include_router(
    order_router("接收适配器转交的手机网站支付订单", protocol.gateway_params, OrderReceived, open_order)
)
