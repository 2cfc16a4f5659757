"""WeChat Pay's trade bill (交易账单, API v3): `GET /v3/bill/tradebill?bill_date=…&bill_type=ALL` answers a
signed `{"download_url", "hash_type": "SHA1", "hash_value"}`; the file at `download_url` (a signed v3 GET
whose answer is not signed) is checked against that SHA1, then parsed here.

The file is UTF-8 CSV: the header row `HEADER`, one row per trade or refund with every field prefixed by a
backquote (`` ` ``), then the summary header (`总交易单数,应结订单总金额,…`) and one summary row. Amounts
are yuan with two decimals; times Beijing time `yyyy-MM-dd HH:mm:ss`. `SUCCESS` rows are payments (their
`订单金额`), `REFUND` rows refunds (their `退款金额`); other states (REVOKED…) are neither.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime

from shebao.channels.base import ChannelError
from shebao.channels.statements import LineKind, Statement, StatementLine
from shebao.kit.clock import SHANGHAI
from shebao.kit.money import MoneyError, yuan_to_fen

HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
).split(",")
SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
).split(",")
HASH_TYPE = "SHA1"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_KINDS: dict[str, LineKind] = {"SUCCESS": "payment", "REFUND": "refund"}


def sha1_matches(raw: bytes, hash_type: object, hash_value: object) -> bool:
    if hash_type != HASH_TYPE or not isinstance(hash_value, str):
        return False
    return hashlib.sha1(raw).hexdigest() == hash_value.strip().lower()  # noqa: S324 (WeChat's choice)


def _cell(text: str) -> str:
    return text.strip().removeprefix("`")


def _fen(record: dict[str, str], name: str) -> int:
    try:
        return yuan_to_fen(record[name])
    except (MoneyError, KeyError) as exc:
        raise ChannelError(f"微信支付对账单金额不正确：{name}") from exc


def parse(raw: bytes, bill_date: date) -> Statement:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChannelError("微信支付对账单不是 UTF-8 文本") from exc
    rows = [[_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text)) if row]
    if not rows or rows[0] != HEADER:
        raise ChannelError("微信支付对账单表头不正确")
    try:
        end = next(i for i, row in enumerate(rows) if row[: len(SUMMARY_HEADER)] == SUMMARY_HEADER)
    except StopIteration as exc:
        raise ChannelError("微信支付对账单缺少汇总行") from exc
    details = rows[1:end]
    # The summary row is required (a file cut short has none); the SHA1 already vouches for the rest.
    if len(rows) != end + 2 or any(len(row) != len(HEADER) for row in details):
        raise ChannelError("微信支付对账单格式不正确")
    lines = []
    for row in details:
        record = dict(zip(HEADER, row, strict=True))
        kind = _KINDS.get(record["交易状态"])
        if kind is None:
            continue
        try:
            completed_at = datetime.strptime(record["交易时间"], TIME_FORMAT).replace(tzinfo=SHANGHAI)
        except ValueError as exc:
            raise ChannelError("微信支付对账单交易时间不正确") from exc
        if kind == "payment":
            line = StatementLine(
                provider_trade_no=record["微信订单号"],
                out_trade_no=record["商户订单号"],
                kind=kind,
                amount_fen=_fen(record, "订单金额"),
                completed_at=completed_at,
            )
        else:  # a refund is named by its own number: two partial refunds of one trade are two lines
            line = StatementLine(
                provider_trade_no=record["微信退款单号"] or record["微信订单号"],
                out_trade_no=record["商户订单号"],
                kind=kind,
                amount_fen=_fen(record, "退款金额"),
                completed_at=completed_at,
            )
        lines.append(line)
    return Statement(channel="wechat", bill_date=bill_date, lines=tuple(lines), raw=raw)
