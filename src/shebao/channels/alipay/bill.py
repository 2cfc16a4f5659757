"""Alipay's trade bill (业务明细): `alipay.data.dataservice.bill.downloadurl.query` answers a URL to a zip
holding a GBK CSV with `#` comment lines around the detail rows; this module fetches and parses it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

from shebao.channels.alipay import fields
from shebao.channels.base import ChannelError, ChannelTimeout
from shebao.channels.statements import LineKind, Statement, StatementLine
from shebao.kit import http
from shebao.kit.money import MoneyError, yuan_to_fen

HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
).split(",")


def parse(raw_zip: bytes, bill_date: date) -> Statement:
    try:
        with zipfile.ZipFile(io.BytesIO(raw_zip)) as archive:
            name = next(n for n in archive.namelist() if n.endswith("业务明细.csv"))
            text = archive.read(name).decode("gbk")
    except (zipfile.BadZipFile, StopIteration, UnicodeDecodeError) as exc:
        raise ChannelError("支付宝对账单无法解析") from exc
    rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]
    if not rows or rows[0][: len(HEADER)] != HEADER:
        raise ChannelError("支付宝对账单表头不正确")
    lines = []
    for row in rows[1:]:
        record = dict(zip(HEADER, (cell.strip() for cell in row), strict=False))
        try:
            amount = yuan_to_fen(record["订单金额（元）"])
        except (MoneyError, KeyError) as exc:
            raise ChannelError("支付宝对账单金额不正确") from exc
        kind: LineKind = "refund" if record.get("业务类型") == "退款" else "payment"
        completed = record.get("完成时间") or ""
        lines.append(
            StatementLine(
                provider_trade_no=record["支付宝交易号"],
                out_trade_no=record["商户订单号"],
                kind=kind,
                amount_fen=abs(amount),
                completed_at=fields.parse_time(completed) if completed else None,
            )
        )
    return Statement(channel="alipay", bill_date=bill_date, lines=tuple(lines), raw=raw_zip)


def download(url: str) -> bytes:
    try:
        with http.client() as client:
            response = client.get(url)
    except Exception as exc:  # any transport failure: try again later
        raise ChannelTimeout(f"支付宝对账单下载失败：{type(exc).__name__}") from exc
    if not response.is_success:
        raise ChannelError(f"支付宝对账单下载失败：HTTP {response.status_code}")
    return response.content
