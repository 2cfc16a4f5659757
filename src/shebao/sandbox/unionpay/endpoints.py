"""`/sandbox/unionpay/...` (API.md, Sandboxes): the gateway, the cashier pages and the trade API that tests
and rehearsals drive (pay, cancel, send the back notification again now or later)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from shebao.sandbox.cashier import cashier_router
from shebao.sandbox.options import EventTradeView
from shebao.sandbox.trade_api import TradeDesk, resend_event, trade_router
from shebao.sandbox.unionpay import bills, cashier, gateway, notifier, trades

router = APIRouter(prefix="/sandbox/unionpay", tags=["sandbox"])


class SandboxTrade(EventTradeView):
    order_id: str
    txn_time: str
    query_id: str
    channel_type: str
    pay_timeout: datetime | None


desk = TradeDesk(
    name="银联沙箱",
    noun="订单",
    summaries=("持卡人付款", "持卡人取消支付", "再次发送后台通知"),
    view=SandboxTrade,
    trades=trades,
    notifier=notifier,
    refused=trades.TradeRefused,
    resend=resend_event(
        "该订单还没有可发送的通知（尚未付款）", lambda trade: trade.order_id, notifier.copies_after_commit
    ),
)

router.include_router(gateway.router)
router.include_router(bills.router)
router.include_router(cashier_router(cashier.CASHIER, desk))
router.include_router(trade_router(desk))
