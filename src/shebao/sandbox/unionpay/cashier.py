"""The simulated UnionPay cashier for people: the amount, 确认付款 / 取消支付, plain forms (no JavaScript).

Afterwards the browser goes back to the merchant's `frontUrl`. UnionPay posts the signed result there;
the sandbox sends the browser with a plain GET, since the return proves nothing (DESIGN.md): only the
back notification or a query settles the payment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shebao.config import Settings
from shebao.sandbox.cashier import Cashier
from shebao.sandbox.unionpay.models import EXPIRED, FAILED, PAID, UNPAID, SandboxUnionpayTrade

STATUS_LABELS = {UNPAID: "待支付", PAID: "支付成功", FAILED: "已取消支付", EXPIRED: "订单已超时"}


def _links(trade: SandboxUnionpayTrade | None, back: str) -> dict[str, Any]:
    return {"back_href": (trade.front_url if trade and trade.front_url else "/")}


def _onward(
    trade: SandboxUnionpayTrade, back: str, settings: Settings, now: datetime, paid: bool
) -> str | None:
    return trade.front_url


CASHIER = Cashier("unionpay", "银联在线支付", STATUS_LABELS, _links, _onward)
