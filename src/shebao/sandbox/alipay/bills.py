"""The sandbox's trade bills: `alipay.data.dataservice.bill.downloadurl.query` and the zip it points to.

The bill of a day lists the trades paid that day (Beijing time) and the refunds made that day (业务类型
退款, negative amounts, their out_request_no), in Alipay's 业务明细 layout, GBK in a zip. Only a closed
day has a bill, as at Alipay.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.channels.alipay import bill, fields, keys
from shebao.deps import Clock, DbSession, RuntimeDep
from shebao.errors import NotFound, ValidationFailed
from shebao.kit.clock import ServiceClock, start_of_local_day, to_shanghai
from shebao.sandbox.alipay import protocol, trades
from shebao.sandbox.alipay.models import SandboxAlipayRefund, SandboxAlipayTrade
from shebao.sandbox.bills import paid_on

router = APIRouter()
METHOD = "alipay.data.dataservice.bill.downloadurl.query"


def _day(text: object) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError as exc:
        raise trades.TradeRefused("isv.invalid-parameter", "bill_date 格式应为 yyyy-MM-dd") from exc


def bill_url(session: Session, request: protocol.GatewayRequest, clock: ServiceClock) -> dict[str, Any]:
    day = _day(request.biz.get("bill_date"))
    if request.biz.get("bill_type") != "trade":
        raise trades.TradeRefused("isv.invalid-parameter", "bill_type 仅支持 trade")
    if day >= clock.today():
        raise trades.TradeRefused("isp.bill_not_exist", "账单不存在：只能下载已结束日期的账单")
    return {"bill_download_url": f"/sandbox/alipay/bills/{request.app_id}/{day.isoformat()}.zip"}


def refunded_on(
    session: Session, app_id: str, day: date
) -> list[tuple[SandboxAlipayTrade, SandboxAlipayRefund]]:
    """The refunds made on `day` (Beijing time), in the order they were made."""
    start = start_of_local_day(day)
    query = (
        select(SandboxAlipayTrade, SandboxAlipayRefund)
        .join(SandboxAlipayRefund, SandboxAlipayRefund.trade_id == SandboxAlipayTrade.id)
        .where(
            SandboxAlipayTrade.app_id == app_id,
            SandboxAlipayRefund.refunded_at >= start,
            SandboxAlipayRefund.refunded_at < start + timedelta(days=1),
        )
        .order_by(SandboxAlipayRefund.refunded_at, SandboxAlipayRefund.id)
    )
    return [(trade, made) for trade, made in session.execute(query)]


def _line(trade: SandboxAlipayTrade, kind: str, at: datetime, amount: str, out_request_no: str) -> list[str]:
    """One row of the 业务明细 list: a payment (交易) or a refund (退款) of the trade."""
    return [
        trade.trade_no,
        trade.out_trade_no,
        kind,
        trade.subject,
        fields.format_time(trade.created_at),
        fields.format_time(at),
        "",
        "",
        "",
        "",
        trade.buyer_id or "",
        amount,
        amount,
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "",
        "0.00",
        "0.00",
        out_request_no,
        "0.00",
        "0.00",
        "",
    ]


def bill_bytes(session: Session, app_id: str, day: date, exported_at: datetime) -> bytes:
    found = paid_on(session, SandboxAlipayTrade, SandboxAlipayTrade.app_id == app_id, day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(f"#支付宝业务明细查询\r\n#账号：[{app_id}]\r\n")
    end = day + timedelta(days=1)
    out.write(f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{end:%Y年%m月%d日} 00:00:00]\r\n")
    out.write(
        "#-----------------------------------------业务明细列表----------------------------------------\r\n"
    )
    writer.writerow(bill.HEADER)
    for trade, paid_at in found:
        writer.writerow(_line(trade, "交易", paid_at, fields.yuan(trade.amount_fen), ""))
    given = refunded_on(session, app_id, day)
    for trade, made in given:
        amount = "-" + fields.yuan(made.amount_fen)
        writer.writerow(_line(trade, "退款", made.refunded_at, amount, made.out_request_no))
    out.write(
        "#-----------------------------------------业务明细列表结束------------------------------------\r\n"
    )
    out.write(f"#交易合计：{len(found)}笔，退款合计：{len(given)}笔\r\n")
    out.write(f"#导出时间：[{to_shanghai(exported_at):%Y年%m月%d日 %H:%M:%S}]\r\n")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr(f"{app_id}_{day:%Y%m%d}_业务明细.csv", out.getvalue().encode("gbk"))
    return archive.getvalue()


@router.get("/bills/{app_id}/{bill_date}.zip", summary="支付宝对账单文件（业务明细，GBK，zip）")
def download_bill(
    app_id: str, bill_date: str, session: DbSession, clock: Clock, runtime: RuntimeDep
) -> Response:
    try:
        day = date.fromisoformat(bill_date)
    except ValueError as exc:
        raise ValidationFailed("账单日期格式应为 yyyy-MM-dd") from exc
    if app_id != keys.app_id(runtime.settings) or day >= clock.today():
        raise NotFound("账单不存在")
    content = bill_bytes(session, app_id, day, clock.now())
    return Response(content, media_type="application/zip")
