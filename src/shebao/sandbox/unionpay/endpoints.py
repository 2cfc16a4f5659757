"""`/sandbox/unionpay/...` (API.md, Sandboxes): the gateway, the cashier pages and the trade API that tests
and rehearsals drive (pay, cancel, send the back notification again now or later)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from shebao.sandbox.cashier import cashier_router
from shebao.sandbox.options import EventTradeView
from shebao.sandbox.refunds import refund_router
from shebao.sandbox.trade_api import Words, event_desk, trade_router
from shebao.sandbox.unionpay import bills, cashier, gateway, notifier, trades

router = APIRouter(prefix="/sandbox/unionpay", tags=["sandbox"])


class SandboxTrade(EventTradeView):
    order_id: str
    txn_time: str
    query_id: str
    channel_type: str
    pay_timeout: datetime | None


WORDS = Words("银联沙箱", "订单", "持卡人付款", "持卡人取消支付", "再次发送后台通知")
desk = event_desk(WORDS, SandboxTrade, trades, notifier.COURIER, "该订单还没有可发送的通知（尚未付款）")

router.include_router(gateway.router)
router.include_router(bills.router)
router.include_router(cashier_router(cashier.CASHIER, desk))
router.include_router(trade_router(desk))
router.include_router(refund_router(notifier.REFUND_DESK))
