"""UnionPay's field formats: Beijing-time `yyyyMMddHHmmss`, amounts in fen, response codes, forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from shebao.kit.clock import SHANGHAI

VERSION = "5.1.0"
ENCODING = "UTF-8"
TXN_CONSUME = "01"  # 消费
TXN_QUERY = "00"  # 查询
TXN_REFUND = "04"  # 退货
BIZ_GATEWAY = "000201"  # B2C 网关支付
CURRENCY_CNY = "156"
SUCCESS = "00"
SUCCESS_CODES = ("00", "A6")  # A6: 有缺陷的成功 — still paid
PROCESSING_CODES = ("03", "04", "05")  # 交易处理中: ask again later
NOT_FOUND = "34"  # 查无此交易
DUPLICATE = "12"  # 重复交易: an orderId already used
REFUND_DECLINES = ("33", "35", "36")  # 金额超限, 原交易不存在或状态不正确, 与原交易信息不符
TIME_FORMAT = "%Y%m%d%H%M%S"
_ORDER_ID = re.compile(r"[A-Za-z0-9]{8,32}")
_OUR_ORDER = re.compile(r"SB(\d{14})\d+")  # settlement/open.py: "SB" + UTC time + digits
_OUR_REFUND = re.compile(r"RF([0-9a-f]{12})[0-9a-f]{18}")  # payments/refunds.py: "RF" + a UUIDv7's hex
_AMOUNT = re.compile(r"[1-9]\d{0,11}")


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=SHANGHAI)


def is_order_id(text: str) -> bool:
    return bool(_ORDER_ID.fullmatch(text))


def txn_time(out_trade_no: str) -> str | None:
    """The order's txnTime, read from our out_trade_no (which starts with its UTC creation time).

    UnionPay finds an order by merId, orderId and txnTime; deriving txnTime from the order number lets
    a query name the order from its out_trade_no alone, as the core asks."""
    match = _OUR_ORDER.fullmatch(out_trade_no)
    if match is None:
        return None
    try:
        created = datetime.strptime(match.group(1), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return format_time(created)


def refund_txn_time(out_refund_no: str) -> str | None:
    """A 退货's txnTime, read from our refund request id: its UUIDv7 begins with the milliseconds of its
    creation. Like `txn_time`, it lets a retry and a query name the refund from its request id alone."""
    match = _OUR_REFUND.fullmatch(out_refund_no)
    if match is None:
        return None
    try:
        created = datetime.fromtimestamp(int(match.group(1), 16) / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return format_time(created)


def fen(text: str) -> int:
    """`txnAmt`: positive whole fen, no sign, no leading zero; ValueError otherwise."""
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"txnAmt {text!r} is not fen")
    return int(text)


def form(text: str) -> dict[str, str]:
    """A urlencoded UTF-8 form (UnionPay's requests, answers and notifications); ValueError when a field
    repeats or the text is malformed."""
    pairs = parse_qsl(
        text, keep_blank_values=True, strict_parsing=bool(text), errors="strict", max_num_fields=200
    )
    params = dict(pairs)
    if len(params) != len(pairs):
        raise ValueError("a field appears twice")
    return params


def answer(text: str) -> dict[str, str]:
    """A synchronous answer: `k=v&k=v` *not* urlencoded (values hold base64 `+/=` and PEM text), so it
    is split on `&` outside `{…}` and `[…]`, then at each field's first `=`; ValueError when malformed."""
    params: dict[str, str] = {}
    depth, start = 0, 0
    for index, char in enumerate(text + "&"):
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "&" and depth == 0:
            part = text[start:index]
            start = index + 1
            if not part:
                continue
            name, equals, value = part.partition("=")
            if not equals or not name or name in params:
                raise ValueError("not a UnionPay answer")
            params[name] = value
    if depth != 0 or not params:
        raise ValueError("not a UnionPay answer")
    return params


def answer_text(params: dict[str, str]) -> str:
    return "&".join(f"{name}={value}" for name, value in params.items())
