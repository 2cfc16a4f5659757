"""Alipay's field formats: Beijing-time timestamps, yuan amounts, trade statuses."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from shebao.kit.clock import SHANGHAI
from shebao.kit.money import MoneyError, fen_to_yuan_text, yuan_to_fen

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # Alipay's "yyyy-MM-dd HH:mm:ss", always Beijing time
_AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")  # Alipay: 单位为元，精确到小数点后两位

WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
TRADE_SUCCESS = "TRADE_SUCCESS"
TRADE_FINISHED = "TRADE_FINISHED"  # paid, and no longer refundable: still a success
TRADE_CLOSED = "TRADE_CLOSED"

# Only these two mean the money arrived (Alipay: 交易支付成功 / 交易结束).
STATUS_MAP: dict[str, Literal["pending", "succeeded", "closed"]] = {
    WAIT_BUYER_PAY: "pending",
    TRADE_SUCCESS: "succeeded",
    TRADE_FINISHED: "succeeded",
    TRADE_CLOSED: "closed",
}


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Alipay times are Beijing time, so the zone must be known")
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """'2026-11-27 14:30:00' (Beijing time) → an aware datetime; ValueError when malformed."""
    return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=SHANGHAI)


def yuan(amount_fen: int) -> str:
    """Alipay amounts are yuan with two decimals: 79500 → '795.00'."""
    return fen_to_yuan_text(amount_fen)


def fen(amount_yuan: str) -> int:
    """'795.00' → 79500 exactly; signs, exponents and a third decimal are refused (MoneyError)."""
    if not _AMOUNT.fullmatch(amount_yuan):
        raise MoneyError(f"金额格式不正确：{amount_yuan}")
    return yuan_to_fen(amount_yuan)
