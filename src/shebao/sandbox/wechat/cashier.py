"""The simulated WeChat Pay cashier for people: the H5 page (`h5_url`, where the browser goes to pay) and,
for rehearsals of the mini program, the same page by out_trade_no. Plain forms, no JavaScript.

Paying sends the browser back to the merchant's `redirect_url` without any result (as WeChat Pay does):
the callback or a query settles the payment, never the return.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.channels.wechat import fields
from shebao.deps import Clock, WriteSession
from shebao.sandbox.wechat import notifier, trades
from shebao.sandbox.wechat.models import SandboxWechatTrade
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

STATUS_LABELS = {fields.NOTPAY: "待支付", fields.SUCCESS: "支付成功", fields.CLOSED: "订单已关闭"}
RedirectUrl = Annotated[str, Form(max_length=512)]


def _return_to(url: str | None) -> str | None:
    return url if url and len(url) <= 512 and url.startswith(("http://", "https://")) else None


def cashier_page(
    request: Request,
    trade: SandboxWechatTrade | None,
    *,
    redirect_url: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "微信支付",
        "trade": trade,
        "status_label": STATUS_LABELS.get(trade.status, trade.status) if trade else "",
        "redirect_url": _return_to(redirect_url) or "",
        "error": error,
        "back_href": _return_to(redirect_url) or "/",
    }
    return render(request, "sandbox/wechat_cashier.html", context, status_code=status_code)


@router.get("/checkmweb", response_class=HTMLResponse)
def checkmweb(
    request: Request,
    session: WriteSession,
    clock: Clock,
    prepay_id: Annotated[str, Query(max_length=64)] = "",
    redirect_url: Annotated[str, Query(max_length=1024)] = "",
) -> HTMLResponse:
    trade = (
        trades.find_by(session, SandboxWechatTrade.prepay_id, prepay_id, for_update=True)
        if prepay_id
        else None
    )
    if trade is None:
        return cashier_page(request, None, error="订单不存在或链接已失效", status_code=404)
    trades.expire_if_due(trade, clock.now())
    return cashier_page(request, trade, redirect_url=redirect_url)


@router.get("/cashier/{out_trade_no}", response_class=HTMLResponse)
def cashier(out_trade_no: str, request: Request, session: WriteSession, clock: Clock) -> HTMLResponse:
    trade = trades.find(session, out_trade_no, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="订单不存在", status_code=404)
    trades.expire_if_due(trade, clock.now())
    return cashier_page(request, trade)


def _after(trade: SandboxWechatTrade, redirect_url: str) -> Response:
    target = _return_to(redirect_url) or f"/sandbox/wechat/cashier/{trade.out_trade_no}"
    return RedirectResponse(target, status_code=303)


@router.post("/cashier/{out_trade_no}/pay")
def cashier_pay(
    out_trade_no: str, request: Request, session: WriteSession, clock: Clock, redirect_url: RedirectUrl = ""
) -> Response:
    trade = trades.find(session, out_trade_no, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="订单不存在", status_code=404)
    try:
        trades.pay(trade, clock.now(), notify=True)
    except trades.OrderRefused as refused:
        return cashier_page(request, trade, redirect_url=redirect_url, error=refused.message, status_code=409)
    notifier.deliver_after_commit(session, trade)
    return _after(trade, redirect_url)


@router.post("/cashier/{out_trade_no}/cancel")
def cashier_cancel(
    out_trade_no: str, request: Request, session: WriteSession, clock: Clock, redirect_url: RedirectUrl = ""
) -> Response:
    trade = trades.find(session, out_trade_no, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="订单不存在", status_code=404)
    try:
        trades.cancel(trade, clock.now())
    except trades.OrderRefused as refused:
        return cashier_page(request, trade, redirect_url=redirect_url, error=refused.message, status_code=409)
    return _after(trade, redirect_url)
