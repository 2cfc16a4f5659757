"""The simulated Alipay cashier for people: the amount and subject, 付款 / 取消, plain forms (no JavaScript).

Paying sends the browser back to the merchant's return_url with Alipay's signed return parameters; the
merchant must not take them as proof of payment (DESIGN.md): the notification or a query settles it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form

from shebao.channels.alipay import fields, keys, signing
from shebao.config import Settings
from shebao.sandbox.alipay import trades
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.cashier import Cashier, nowhere

STATUS_LABELS = {
    fields.WAIT_BUYER_PAY: "等待付款",
    fields.TRADE_SUCCESS: "支付成功",
    fields.TRADE_CLOSED: "交易已关闭",
}


def _local(path: str | None) -> str | None:
    """A path on this site to go back to after a mini program's payment (my.tradePay has no return_url)."""
    return path if path and path.startswith("/") and not path.startswith("//") and "\\" not in path else None


def _links(trade: SandboxAlipayTrade | None, back: str) -> dict[str, Any]:
    return {
        "back": _local(back),
        "back_href": (trade.return_url if trade and trade.return_url else (_local(back) or "/")),
    }


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


def _onward(
    trade: SandboxAlipayTrade, back: str, settings: Settings, now: datetime, paid: bool
) -> str | None:
    """Paid: return_url with the signed return parameters, or the mini program's page. Cancelled:
    return_url. Else the cashier again."""
    if trade.return_url and paid:
        params = return_params(trade, settings, now)
        return trade.return_url + ("&" if "?" in trade.return_url else "?") + urlencode(params)
    return trade.return_url or (_local(back) if paid else None)


def _came_from(back: str = "") -> str:
    return back


def _paid_from(back: Annotated[str, Form(max_length=300)] = "") -> str:
    return back


CASHIER = Cashier(
    "alipay", "支付宝收银台", STATUS_LABELS, _links, _onward, _came_from, _paid_from, cancel_from=nowhere
)
