"""`/sandbox/unionpay/gateway/api/frontTransReq.do` (the browser posts the signed front form; the payer
lands on the cashier), `/sandbox/unionpay/gateway/api/queryTrans.do` (the merchant queries a payment or
a 退货), `/sandbox/unionpay/gateway/api/backTransReq.do` (退货) and `/sandbox/unionpay/orders` (where the
adapter hands over the front form the browser will carry: `cashier.order_router`).

Like UnionPay, the query answers every error as signed `respCode`/`respMsg` text; only an unreadable
request is a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.channels.unionpay import fields
from shebao.config import Settings
from shebao.deps import Clock, RuntimeDep, WriteSession
from shebao.sandbox import refunds as sandbox_refunds
from shebao.sandbox.cashier import order_router
from shebao.sandbox.unionpay import notifier, protocol, refund_ledger, trades
from shebao.sandbox.unionpay.cashier import CASHIER
from shebao.sandbox.unionpay.models import SandboxUnionpayRefund, SandboxUnionpayTrade

router = APIRouter()
Params = Annotated[dict[str, str], Depends(protocol.form_params)]


class OrderReceived(BaseModel):
    order_id: str
    query_id: str
    status: str


def open_order(
    session: Session, params: dict[str, str], settings: Settings, now: datetime
) -> SandboxUnionpayTrade:
    """A signed front form, checked and recorded (the browser's, or the one handed over)."""
    protocol.check_request(params, settings)
    return trades.open_trade(session, params, now)


@router.post(
    "/gateway/api/frontTransReq.do",
    summary="银联前台交易（浏览器提交签名表单）",
    response_model=None,
    responses={
        303: {"description": "转到收银台"},
        400: {
            "description": "报文有误：收银台页面说明原因",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
    },
)
def front(
    request: Request, params: Params, session: WriteSession, runtime: RuntimeDep, clock: Clock
) -> Response:
    try:
        trade = open_order(session, params, runtime.settings, clock.now())
    except trades.TradeRefused as refused:
        return CASHIER.page(request, None, error=refused.said, status_code=400)
    return RedirectResponse(f"/sandbox/unionpay/cashier/{trade.order_id}", status_code=303)


@protocol.text_route(router, "/gateway/api/queryTrans.do", "银联交易状态查询")
def query(params: Params, session: WriteSession, runtime: RuntimeDep, clock: Clock) -> Response:
    settings = runtime.settings
    try:
        protocol.check_request(params, settings)
        if (
            params.get("txnType") != fields.TXN_QUERY
            or not params.get("orderId")
            or not params.get("txnTime")
        ):
            raise trades.TradeRefused("30", "报文格式错误：查询需要 txnType=00、orderId 和 txnTime")
    except trades.TradeRefused as refused:
        return protocol.refusal(settings, params, refused)
    trade = trades.find(session, params["orderId"], for_update=True)
    if trade is None:  # the orderId of a 退货?
        refund = sandbox_refunds.find(session, SandboxUnionpayRefund, params["orderId"])
        if refund is not None and refund.txn_time == params["txnTime"]:
            return protocol.answer(settings, refund_ledger.query_answer(settings, params, refund))
    else:
        trades.expire_if_due(trade, clock.now())
        if trade.txn_time != params["txnTime"]:
            trade = None  # UnionPay finds an order by orderId *and* txnTime
    return protocol.answer(settings, protocol.query_answer(settings, params, trade))


router.include_router(
    order_router("接收适配器转交的银联前台交易表单", protocol.form_params, OrderReceived, open_order)
)


@protocol.text_route(router, "/gateway/api/backTransReq.do", "银联后台交易：退货（结果以后台通知或查询为准）")
def back(params: Params, session: WriteSession, runtime: RuntimeDep, clock: Clock) -> Response:
    """退货 (txnType 04). The refund switches (`/sandbox/unionpay/refunds/faults`) can make the next requests
    time out, acted on or lost."""
    settings = runtime.settings
    fault = sandbox_refunds.take_fault(session, refund_ledger.PROVIDER)
    if fault == "lost":  # never arrived: nothing done
        return sandbox_refunds.gateway_timeout()
    try:
        protocol.check_request(params, settings)
        refund = refund_ledger.open_refund(
            session, params, clock.now(), later=sandbox_refunds.answers_later(session, refund_ledger.PROVIDER)
        )
    except trades.TradeRefused as refused:
        answer = protocol.refusal(settings, params, refused)
    else:
        notifier.REFUND_DESK.courier.deliver_after_commit(session, refund)
        answer = protocol.answer(settings, refund_ledger.accepted(settings, refund))
    # A timeout: acted on and committed, and the answer is lost.
    return sandbox_refunds.gateway_timeout() if fault == "timeout" else answer
