"""`/sandbox/wechat/v3/pay/transactions/...`: WeChat Pay API v3 as the adapter (or wechatpayv3) calls it —
JSAPI and H5 orders, query by out_trade_no or transaction_id, close. Errors are WeChat Pay's: a status,
a `code` and a Chinese `message`, signed like every answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from shebao.channels.wechat import fields, keys
from shebao.deps import WriteSession
from shebao.kit.ids import random_digits
from shebao.sandbox.wechat import protocol, trades
from shebao.sandbox.wechat.models import SandboxWechatTrade
from shebao.sandbox.wechat.protocol import Call, SignedCall
from shebao.sandbox.wechat.trades import OrderRefused

router = APIRouter(prefix="/v3/pay/transactions", responses=protocol.ERROR_RESPONSES)


def _order(
    session: Session, call: SignedCall, trade_type: str, body: dict[str, Any] | None
) -> SandboxWechatTrade:
    settings = call.runtime.settings
    return trades.open_trade(
        session,
        body or {},
        trade_type=trade_type,
        mchid=keys.mchid(settings),
        appid=keys.appid(settings),
        now=call.clock.now(),
    )


def _known(trade: SandboxWechatTrade | None, mchid: str | None, call: SignedCall) -> SandboxWechatTrade:
    if mchid != keys.mchid(call.runtime.settings):
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：mchid 与签名商户号不一致")
    if trade is None:
        raise OrderRefused(404, "ORDER_NOT_EXIST", "订单不存在")
    return trade


@router.post("/jsapi", summary="微信支付沙箱：JSAPI/小程序下单", response_model=None)
def jsapi(call: Call, session: WriteSession) -> Response:
    return call.answer(
        lambda checked: (200, {"prepay_id": _order(session, call, trades.JSAPI, checked).prepay_id})
    )


@router.post("/h5", summary="微信支付沙箱：H5 下单", response_model=None)
def h5(call: Call, session: WriteSession) -> Response:
    def act(checked: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        trade = _order(session, call, trades.MWEB, checked)
        base = call.runtime.settings.base_url.rstrip("/") + keys.SANDBOX_PATH
        return 200, {"h5_url": f"{base}/checkmweb?prepay_id={trade.prepay_id}&package={random_digits(10)}"}

    return call.answer(act)


@router.get("/out-trade-no/{out_trade_no}", summary="微信支付沙箱：商户订单号查询订单", response_model=None)
def query(out_trade_no: str, call: Call, session: WriteSession) -> Response:
    def act(_: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        found = trades.find(session, out_trade_no, for_update=True)
        trade = _known(found, call.request.query_params.get("mchid"), call)
        trades.expire_if_due(trade, call.clock.now())
        return 200, trades.query_answer(trade)

    return call.answer(act)


@router.get("/id/{transaction_id}", summary="微信支付沙箱：微信支付订单号查询订单", response_model=None)
def query_by_id(transaction_id: str, call: Call, session: WriteSession) -> Response:
    def act(_: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        found = trades.find_by(session, SandboxWechatTrade.transaction_id, transaction_id)
        paid = found if found is not None and found.status == fields.SUCCESS else None
        return 200, trades.query_answer(_known(paid, call.request.query_params.get("mchid"), call))

    return call.answer(act)


@router.post("/out-trade-no/{out_trade_no}/close", summary="微信支付沙箱：关闭订单", response_model=None)
def close(out_trade_no: str, call: Call, session: WriteSession) -> Response:
    def act(checked: dict[str, Any] | None) -> tuple[int, None]:
        found = trades.find(session, out_trade_no, for_update=True)
        trades.merchant_close(_known(found, (checked or {}).get("mchid"), call), call.clock.now())
        return 204, None

    return call.answer(act)
