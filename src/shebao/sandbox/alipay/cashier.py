"""The simulated Alipay cashier for people: the amount and subject, 付款 / 取消, plain forms (no JavaScript).

Paying sends the browser back to the merchant's return_url with Alipay's signed return parameters; the
merchant must not take them as proof of payment (DESIGN.md): the notification or a query settles it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.channels.alipay import fields, keys, signing
from shebao.config import Settings
from shebao.deps import Clock, RuntimeDep, WriteSession
from shebao.sandbox.alipay import notifier, trades
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

STATUS_LABELS = {
    fields.WAIT_BUYER_PAY: "等待付款",
    fields.TRADE_SUCCESS: "支付成功",
    fields.TRADE_CLOSED: "交易已关闭",
}


def _local(path: str | None) -> str | None:
    """A path on this site to go back to after a mini program's payment (my.tradePay has no return_url)."""
    return path if path and path.startswith("/") and not path.startswith("//") and "\\" not in path else None


def cashier_page(
    request: Request,
    trade: SandboxAlipayTrade | None,
    *,
    error: str | None = None,
    status_code: int = 200,
    back: str | None = None,
) -> HTMLResponse:
    context = {
        "title": "支付宝收银台",
        "trade": trade,
        "status_label": STATUS_LABELS.get(trade.status, trade.status) if trade else "",
        "error": error,
        "back": _local(back),
        "back_href": (trade.return_url if trade and trade.return_url else (_local(back) or "/")),
    }
    return render(request, "sandbox/alipay_cashier.html", context, status_code=status_code)


def return_params(trade: SandboxAlipayTrade, settings: Settings, now: datetime) -> dict[str, str]:
    """What Alipay appends to return_url after a WAP payment (同步返回), signed like a notification."""
    params = {
        "charset": "utf-8",
        "method": "alipay.trade.wap.pay.return",
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "seller_id": trades.SELLER_ID,
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "total_amount": fields.yuan(trade.amount_fen),
        "timestamp": fields.format_time(now),
        "version": "1.0",
        "sign_type": signing.SIGN_TYPE,
    }
    key = keys.sandbox_private_key(settings)
    return signing.signed(params, key, unsigned=signing.NOTIFICATION_UNSIGNED)


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


@router.get("/cashier/{out_trade_no}", response_class=HTMLResponse)
def cashier(
    out_trade_no: str, request: Request, session: WriteSession, clock: Clock, back: str = ""
) -> HTMLResponse:
    trade = trades.find(session, out_trade_no, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="交易不存在", status_code=404)
    trades.expire_if_due(trade, clock.now())
    return cashier_page(request, trade, back=back)


@router.post("/cashier/{out_trade_no}/pay")
def cashier_pay(
    out_trade_no: str,
    request: Request,
    session: WriteSession,
    runtime: RuntimeDep,
    clock: Clock,
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    trade = trades.find(session, out_trade_no, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="交易不存在", status_code=404)
    now = clock.now()
    try:
        trades.pay(trade, now, notify=True)
    except trades.TradeRefused as refused:
        return cashier_page(request, trade, error=refused.sub_msg, status_code=409, back=back)
    notifier.deliver_after_commit(session, trade)
    if trade.return_url:
        target = _with_query(trade.return_url, return_params(trade, runtime.settings, now))
        return RedirectResponse(target, status_code=303)
    return RedirectResponse(_local(back) or f"/sandbox/alipay/cashier/{trade.out_trade_no}", status_code=303)


@router.post("/cashier/{out_trade_no}/cancel")
def cashier_cancel(out_trade_no: str, request: Request, session: WriteSession, clock: Clock) -> Response:
    trade = trades.find(session, out_trade_no, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="交易不存在", status_code=404)
    try:
        trades.cancel(trade, clock.now(), notify=True)
    except trades.TradeRefused as refused:
        return cashier_page(request, trade, error=refused.sub_msg, status_code=409)
    notifier.deliver_after_commit(session, trade)
    target = trade.return_url or f"/sandbox/alipay/cashier/{trade.out_trade_no}"
    return RedirectResponse(target, status_code=303)
