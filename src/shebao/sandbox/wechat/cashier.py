"""The simulated WeChat Pay cashier for people: the H5 page (`h5_url`, where the browser goes to pay) and,
for rehearsals of the mini program, the same page by out_trade_no. Plain forms, no JavaScript.

Paying sends the browser back to the merchant's `redirect_url` without any result (as WeChat Pay does):
the callback or a query settles the payment, never the return.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse

from shebao.channels.wechat import fields
from shebao.config import Settings
from shebao.deps import Clock, WriteSession
from shebao.sandbox.cashier import Cashier
from shebao.sandbox.wechat import trades
from shebao.sandbox.wechat.models import SandboxWechatTrade
from shebao.web.security import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

STATUS_LABELS = {fields.NOTPAY: "待支付", fields.SUCCESS: "支付成功", fields.CLOSED: "订单已关闭"}


def _return_to(url: str | None) -> str | None:
    return url if url and len(url) <= 512 and url.startswith(("http://", "https://")) else None


def _links(trade: SandboxWechatTrade | None, redirect_url: str) -> dict[str, Any]:
    return {"redirect_url": _return_to(redirect_url) or "", "back_href": _return_to(redirect_url) or "/"}


def _onward(
    trade: SandboxWechatTrade, redirect_url: str, settings: Settings, now: datetime, paid: bool
) -> str | None:
    return _return_to(redirect_url)


def _posted_from(redirect_url: Annotated[str, Form(max_length=512)] = "") -> str:
    return redirect_url


CASHIER = Cashier("wechat", "微信支付", STATUS_LABELS, _links, _onward, pay_from=_posted_from)


@router.get("/checkmweb", response_class=HTMLResponse)
def checkmweb(
    request: Request,
    session: WriteSession,
    clock: Clock,
    prepay_id: Annotated[str, Query(max_length=64)] = "",
    redirect_url: Annotated[str, Query(max_length=1024)] = "",
) -> HTMLResponse:
    """The H5 page: the order found by its prepay_id."""
    trade = (
        trades.find_by(session, SandboxWechatTrade.prepay_id, prepay_id, for_update=True)
        if prepay_id
        else None
    )
    if trade is not None:
        trades.expire_if_due(trade, clock.now())
    return CASHIER.show(request, trade, back=redirect_url, missing="订单不存在或链接已失效")
