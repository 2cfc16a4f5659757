"""`/sandbox/wechat/v3/pay/transactions/...`: WeChat Pay API v3 as the adapter (or wechatpayv3) calls it —
JSAPI and H5 orders, query by out_trade_no or transaction_id, close. Errors are WeChat Pay's: a status,
a `code` and a Chinese `message`, signed like every answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from shebao.channels.wechat import fields, keys
from shebao.deps import Clock, RuntimeDep, WriteSession
from shebao.kit.ids import random_digits
from shebao.runtime import Runtime
from shebao.sandbox.wechat import protocol, trades
from shebao.sandbox.wechat.models import SandboxWechatTrade
from shebao.sandbox.wechat.trades import OrderRefused

router = APIRouter(prefix="/v3/pay/transactions", responses=protocol.ERROR_RESPONSES)
RawBody = Annotated[bytes, Depends(protocol.raw_body)]
Action = Callable[[dict[str, Any] | None], tuple[int, dict[str, Any] | None]]


def _serve(request: Request, body: bytes, runtime: Runtime, clock: Clock, action: Action) -> Response:
    now = clock.now()
    try:
        checked = protocol.check_request(request, body, runtime.settings, now)
        status, content = action(checked)
    except OrderRefused as refused:
        return protocol.refusal(runtime.settings, now, refused)
    return protocol.answer(runtime.settings, now, status, content)


def _order(
    session: Session, runtime: Runtime, clock: Clock, trade_type: str, body: dict[str, Any] | None
) -> SandboxWechatTrade:
    settings = runtime.settings
    return trades.open_trade(
        session,
        body or {},
        trade_type=trade_type,
        mchid=keys.mchid(settings),
        appid=keys.appid(settings),
        now=clock.now(),
    )


def _known(trade: SandboxWechatTrade | None, mchid: str | None, runtime: Runtime) -> SandboxWechatTrade:
    if mchid != keys.mchid(runtime.settings):
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：mchid 与签名商户号不一致")
    if trade is None:
        raise OrderRefused(404, "ORDER_NOT_EXIST", "订单不存在")
    return trade


@router.post("/jsapi", summary="微信支付沙箱：JSAPI/小程序下单", response_model=None)
def jsapi(
    request: Request, body: RawBody, session: WriteSession, runtime: RuntimeDep, clock: Clock
) -> Response:
    def act(checked: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        return 200, {"prepay_id": _order(session, runtime, clock, trades.JSAPI, checked).prepay_id}

    return _serve(request, body, runtime, clock, act)


@router.post("/h5", summary="微信支付沙箱：H5 下单", response_model=None)
def h5(request: Request, body: RawBody, session: WriteSession, runtime: RuntimeDep, clock: Clock) -> Response:
    def act(checked: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        trade = _order(session, runtime, clock, trades.MWEB, checked)
        base = runtime.settings.base_url.rstrip("/") + keys.SANDBOX_PATH
        return 200, {"h5_url": f"{base}/checkmweb?prepay_id={trade.prepay_id}&package={random_digits(10)}"}

    return _serve(request, body, runtime, clock, act)


@router.get("/out-trade-no/{out_trade_no}", summary="微信支付沙箱：商户订单号查询订单", response_model=None)
def query(
    out_trade_no: str,
    request: Request,
    body: RawBody,
    session: WriteSession,
    runtime: RuntimeDep,
    clock: Clock,
) -> Response:
    def act(_: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        trade = _known(
            trades.find(session, out_trade_no, for_update=True), request.query_params.get("mchid"), runtime
        )
        trades.expire_if_due(trade, clock.now())
        return 200, trades.query_answer(trade)

    return _serve(request, body, runtime, clock, act)


@router.get("/id/{transaction_id}", summary="微信支付沙箱：微信支付订单号查询订单", response_model=None)
def query_by_id(
    transaction_id: str,
    request: Request,
    body: RawBody,
    session: WriteSession,
    runtime: RuntimeDep,
    clock: Clock,
) -> Response:
    def act(_: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        found = trades.find_by(session, SandboxWechatTrade.transaction_id, transaction_id)
        paid = found if found is not None and found.status == fields.SUCCESS else None
        return 200, trades.query_answer(_known(paid, request.query_params.get("mchid"), runtime))

    return _serve(request, body, runtime, clock, act)


@router.post("/out-trade-no/{out_trade_no}/close", summary="微信支付沙箱：关闭订单", response_model=None)
def close(
    out_trade_no: str,
    request: Request,
    body: RawBody,
    session: WriteSession,
    runtime: RuntimeDep,
    clock: Clock,
) -> Response:
    def act(checked: dict[str, Any] | None) -> tuple[int, None]:
        trade = _known(
            trades.find(session, out_trade_no, for_update=True), (checked or {}).get("mchid"), runtime
        )
        trades.merchant_close(trade, clock.now())
        return 204, None

    return _serve(request, body, runtime, clock, act)
