"""`/sandbox/wechat/...` (API.md, Sandboxes): the API v3 gateway (with its refunds and trade bills), the
cashier pages and the trade and refund API that tests and rehearsals drive (pay, cancel, send the callback
again now or later; refunds' faults and outcomes)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from shebao.sandbox.cashier import cashier_router
from shebao.sandbox.options import EventTradeView
from shebao.sandbox.refunds import refund_router
from shebao.sandbox.trade_api import Words, event_desk, trade_router
from shebao.sandbox.wechat import api, bills, cashier, notifier, refund_api, trades

router = APIRouter(prefix="/sandbox/wechat", tags=["sandbox"])


class SandboxTrade(EventTradeView):
    out_trade_no: str
    prepay_id: str
    transaction_id: str
    trade_type: str
    description: str
    openid: str | None
    expires_at: datetime | None


WORDS = Words("微信支付沙箱", "订单", "付款人支付", "付款人放弃（订单关闭）", "再次发送支付通知")
desk = event_desk(WORDS, SandboxTrade, trades, notifier.COURIER, "该订单还没有可发送的通知（尚未支付）")

router.include_router(api.router)
router.include_router(refund_api.router)
router.include_router(bills.router)
router.include_router(cashier.router)
router.include_router(cashier_router(cashier.CASHIER, desk))
router.include_router(trade_router(desk))
router.include_router(refund_router(notifier.REFUND_DESK))
