"""The simulated UnionPay cashier for people: the amount, 确认付款 / 取消支付, plain forms (no JavaScript).

Afterwards the browser goes back to the merchant's `frontUrl`. UnionPay posts the signed result there;
the sandbox sends the browser with a plain GET, since the return proves nothing (DESIGN.md): only the
back notification or a query settles the payment.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.deps import Clock, WriteSession
from shebao.sandbox.unionpay import notifier, trades
from shebao.sandbox.unionpay.models import EXPIRED, FAILED, PAID, UNPAID, SandboxUnionpayTrade
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

STATUS_LABELS = {UNPAID: "待支付", PAID: "支付成功", FAILED: "已取消支付", EXPIRED: "订单已超时"}


def cashier_page(
    request: Request, trade: SandboxUnionpayTrade | None, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    context = {
        "title": "银联在线支付",
        "trade": trade,
        "status_label": STATUS_LABELS.get(trade.status, trade.status) if trade else "",
        "error": error,
        "back_href": (trade.front_url if trade and trade.front_url else "/"),
    }
    return render(request, "sandbox/unionpay_cashier.html", context, status_code=status_code)


@router.get("/cashier/{order_id}", response_class=HTMLResponse)
def cashier(order_id: str, request: Request, session: WriteSession, clock: Clock) -> HTMLResponse:
    trade = trades.find(session, order_id, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="订单不存在", status_code=404)
    trades.expire_if_due(trade, clock.now())
    return cashier_page(request, trade)


def _back(trade: SandboxUnionpayTrade) -> Response:
    return RedirectResponse(trade.front_url or f"/sandbox/unionpay/cashier/{trade.order_id}", status_code=303)


@router.post("/cashier/{order_id}/pay")
def cashier_pay(order_id: str, request: Request, session: WriteSession, clock: Clock) -> Response:
    trade = trades.find(session, order_id, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="订单不存在", status_code=404)
    try:
        trades.pay(trade, clock.now(), notify=True)
    except trades.TradeRefused as refused:
        return cashier_page(request, trade, error=refused.message, status_code=409)
    notifier.deliver_after_commit(session, trade)
    return _back(trade)


@router.post("/cashier/{order_id}/cancel")
def cashier_cancel(order_id: str, request: Request, session: WriteSession, clock: Clock) -> Response:
    trade = trades.find(session, order_id, for_update=True)
    if trade is None:
        return cashier_page(request, None, error="订单不存在", status_code=404)
    try:
        trades.cancel(trade, clock.now())
    except trades.TradeRefused as refused:
        return cashier_page(request, trade, error=refused.message, status_code=409)
    return _back(trade)
