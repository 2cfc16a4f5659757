"""UnionPay's reconciliation file (对账文件), fetched by 文件传输 and parsed.

The request (signed like every 5.1.0 request, POSTed to `FILE_TRANSFER_PATH` below the gateway):
`txnType=76`, `txnSubType=01`, `bizType=000000`, `accessType=0`, `fileType=00`, `settleDate=MMDD`,
`txnTime`. Its signed answer carries `respCode=00`, `fileName` and `fileContent`: the file, a zip,
deflate-compressed then base64 (as UnionPay's SDKs decode it: base64, inflate, write to `fileName`).
`respCode=98` is "no file (yet)".

Inside the zip, the general transaction file `INN<yymmdd>88ZM_<merId>`. UnionPay's own is fixed-width GBK
with some fifty fields; what follows is **the sandbox's rendering of UnionPay's 全渠道 INN file**, the
fields that reconciliation needs in UnionPay's order, which this parser reads:

- UTF-8 text, one transaction a line (CRLF), no header, fields separated by `|`, `FIELDS` in this order:
  交易代码 | 代理机构标识码 | 发送机构标识码 | 系统跟踪号 (6) | 交易传输时间 (MMDDhhmmss, Beijing) |
  主账号 (masked) | 交易金额 (fen, 12 digits, zero-padded) | 商户类别 | 终端类型 | 查询流水号 (queryId, 21) |
  支付方式 | 商户订单号 (orderId) | 商户代码 (merId) | 订单发送时间 (txnTime, yyyyMMddHHmmss) |
  原始交易查询流水号 (refunds: the paid trade's queryId; else empty).
- 交易代码 `S22` is a payment (消费); `S30` (退货) and `S31` (消费撤销) are refunds; other codes are
  neither and are skipped.
- The settlement day is the Beijing calendar day (UnionPay cuts its day at 23:00; the sandbox does not).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
import zlib
from datetime import date, datetime

from shebao.channels.base import ChannelError
from shebao.channels.statements import LineKind, Statement, StatementLine
from shebao.kit.clock import SHANGHAI

FILE_TRANSFER_PATH = "/gateway/api/fileTransfer.do"
TXN_FILE_TRANSFER = "76"
FILE_TYPE_GENERAL = "00"  # 一般交易对账文件
NO_FILE = "98"  # 文件不存在
FIELDS = (
    "交易代码",
    "代理机构标识码",
    "发送机构标识码",
    "系统跟踪号",
    "交易传输时间",
    "主账号",
    "交易金额",
    "商户类别",
    "终端类型",
    "查询流水号",
    "支付方式",
    "商户订单号",
    "商户代码",
    "订单发送时间",
    "原始交易查询流水号",
)
CONSUME = "S22"
REFUND = "S30"  # 退货
KINDS: dict[str, LineKind] = {CONSUME: "payment", REFUND: "refund", "S31": "refund"}
SEPARATOR = "|"
_AMOUNT = re.compile(r"[0-9]{12}")
_TRACE_TIME = re.compile(r"[0-9]{10}")


def member_name(settle_day: date, mer_id: str) -> str:
    return f"INN{settle_day:%y%m%d}88ZM_{mer_id}"


def encode_content(raw_zip: bytes) -> str:
    """`fileContent`: the zip deflated (zlib) then base64."""
    return base64.b64encode(zlib.compress(raw_zip)).decode("ascii")


def decode_content(content: str) -> bytes:
    try:
        return zlib.decompress(base64.b64decode(content, validate=True))
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise ChannelError("银联对账文件内容无法解码") from exc


def _completed_at(trace_time: str, settle_day: date) -> datetime:
    """交易传输时间 has no year: that of the settlement day, or the year before across New Year."""
    if not _TRACE_TIME.fullmatch(trace_time):
        raise ChannelError("银联对账文件交易传输时间不正确")
    year = settle_day.year - (trace_time[:4] > f"{settle_day:%m%d}")
    try:
        return datetime.strptime(f"{year}{trace_time}", "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise ChannelError("银联对账文件交易传输时间不正确") from exc


def parse(raw_zip: bytes, bill_date: date) -> Statement:
    try:
        with zipfile.ZipFile(io.BytesIO(raw_zip)) as archive:
            name = next(n for n in archive.namelist() if n.startswith("INN"))
            text = archive.read(name).decode("utf-8")
    except (zipfile.BadZipFile, StopIteration, UnicodeDecodeError) as exc:
        raise ChannelError("银联对账文件无法解析") from exc
    lines = []
    for number, row in enumerate(text.splitlines(), start=1):
        if not row.strip():
            continue
        cells = row.split(SEPARATOR)
        if len(cells) != len(FIELDS):
            raise ChannelError(f"银联对账文件第{number}行应有{len(FIELDS)}个字段")
        record = dict(zip(FIELDS, (cell.strip() for cell in cells), strict=True))
        kind = KINDS.get(record["交易代码"])
        if kind is None:
            continue
        if not _AMOUNT.fullmatch(record["交易金额"]):
            raise ChannelError(f"银联对账文件第{number}行交易金额不正确")
        if not record["查询流水号"] or not record["商户订单号"]:
            raise ChannelError(f"银联对账文件第{number}行缺少查询流水号或商户订单号")
        lines.append(
            StatementLine(
                provider_trade_no=record["查询流水号"],
                out_trade_no=record["商户订单号"],
                kind=kind,
                amount_fen=int(record["交易金额"]),
                completed_at=_completed_at(record["交易传输时间"], bill_date),
            )
        )
    return Statement(channel="unionpay", bill_date=bill_date, lines=tuple(lines), raw=raw_zip)
