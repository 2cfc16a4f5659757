"""`/sandbox/unionpay/gateway/api/frontTransReq.do` (the browser posts the signed front form; the payer
lands on the cashier), `/sandbox/unionpay/gateway/api/queryTrans.do` (the merchant queries) and
`/sandbox/unionpay/orders` (where the adapter hands over the front form the browser will carry).

Like UnionPay, the query answers every error as signed `respCode`/`respMsg` text; only an unreadable
request is a 400.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel

from shebao.channels.unionpay import fields
from shebao.deps import Clock, RuntimeDep, WriteSession
from shebao.errors import BadRequest
from shebao.sandbox.unionpay import protocol, trades
from shebao.sandbox.unionpay.cashier import CASHIER
from shebao.web.openapi import errors

router = APIRouter()
Params = Annotated[dict[str, str], Depends(protocol.form_params)]


class OrderReceived(BaseModel):
    order_id: str
    query_id: str
    status: str


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderReceived,
    summary="接收适配器转交的银联前台交易表单",
    responses=errors(400),
)
def receive_order(params: Params, session: WriteSession, runtime: RuntimeDep, clock: Clock) -> OrderReceived:
    """The signed front form the browser would post to the gateway: the sandbox records the order at
    once, so it can be paid by the API before any browser opened the cashier."""
    try:
        protocol.check_request(params, runtime.settings)
        trade = trades.open_trade(session, params, clock.now())
    except trades.TradeRefused as refused:
        raise BadRequest(f"{refused.message}（{refused.code}）") from refused
    return OrderReceived(order_id=trade.order_id, query_id=trade.query_id, status=trade.status)


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
        protocol.check_request(params, runtime.settings)
        trade = trades.open_trade(session, params, clock.now())
    except trades.TradeRefused as refused:
        return CASHIER.page(request, None, error=f"{refused.message}（{refused.code}）", status_code=400)
    return RedirectResponse(f"/sandbox/unionpay/cashier/{trade.order_id}", status_code=303)


@router.post(
    "/gateway/api/queryTrans.do",
    summary="银联交易状态查询（应答为 key=value& 报文）",
    response_model=None,
    response_class=PlainTextResponse,
)
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
    if trade is not None:
        trades.expire_if_due(trade, clock.now())
        if trade.txn_time != params["txnTime"]:
            trade = None  # UnionPay finds an order by orderId *and* txnTime
    return protocol.answer(settings, protocol.query_answer(settings, params, trade))
