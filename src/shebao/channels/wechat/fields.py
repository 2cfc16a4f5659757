"""WeChat Pay's field formats: RFC 3339 times, integer-fen amounts, trade states."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from shebao.kit.clock import SHANGHAI

SUCCESS = "SUCCESS"
REFUND = "REFUND"  # paid, then (partly) refunded: the payment itself succeeded
NOTPAY = "NOTPAY"
CLOSED = "CLOSED"
REVOKED = "REVOKED"
USERPAYING = "USERPAYING"
PAYERROR = "PAYERROR"  # a failed try; the order stays payable until it is closed

STATUS_MAP: dict[str, Literal["pending", "succeeded", "closed"]] = {
    SUCCESS: "succeeded",
    REFUND: "succeeded",
    NOTPAY: "pending",
    USERPAYING: "pending",
    PAYERROR: "pending",
    CLOSED: "closed",
    REVOKED: "closed",
}
MAX_TOTAL_FEN = 10_000_000_000  # far above any fee; WeChat's own limits are lower


def format_time(moment: datetime) -> str:
    """'2026-11-27T14:30:05+08:00': WeChat Pay writes Beijing time with its offset."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def parse_time(text: str) -> datetime:
    """An RFC 3339 time with its offset; ValueError when malformed or without a zone."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("time without offset")
    return moment


def total_fen(amount: Any) -> int:
    """`amount.total`: a positive integer of fen (never a float, a string or a bool)."""
    total = amount.get("total") if isinstance(amount, dict) else None
    if type(total) is not int or not 0 < total <= MAX_TOTAL_FEN:
        raise ValueError("amount.total is not a positive integer of fen")
    return total
