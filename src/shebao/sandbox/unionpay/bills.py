"""`/sandbox/unionpay/gateway/api/fileTransfer.do`: UnionPay's 文件传输 (txnType 76) as the adapter calls it.

The file of a settlement day (`settleDate` MMDD: the latest such day before today, service clock, Beijing
time) lists the orders paid that day and the 退货 made that day (交易代码 S30), in the sandbox's rendering
of UnionPay's 全渠道 INN file (`channels/unionpay/bill.py`), zipped, deflated and base64 in the signed
answer's `fileContent`. Today's file does not exist yet (respCode 98), as at UnionPay. Like the query,
every error is a signed `respCode`/`respMsg` answer.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from shebao.channels.unionpay import bill, fields, keys, signing
from shebao.config import Settings
from shebao.deps import Clock, DbSession, RuntimeDep
from shebao.kit.clock import ServiceClock, to_shanghai
from shebao.sandbox.bills import done_on, paid_on
from shebao.sandbox.unionpay import protocol
from shebao.sandbox.unionpay.models import SandboxUnionpayRefund, SandboxUnionpayTrade
from shebao.sandbox.unionpay.trades import TradeRefused

router = APIRouter()
Params = Annotated[dict[str, str], Depends(protocol.form_params)]
# Fixed values where UnionPay's file names institutions, a card and a merchant category: the sandbox
# takes no card and routes through no bank.
ACQUIRER = "00010000"  # 代理机构标识码
SENDER = "00010000"  # 发送机构标识码
MASKED_CARD = "621626******0018"  # 主账号: UnionPay's test card, masked
MCC = "9399"  # 商户类别: government services
PAY_WAY = "0001"  # 支付方式


def settle_day(text: str | None, clock: ServiceClock) -> date:
    """The day a `settleDate` (MMDD) names: this year's, or last year's if that is not over yet."""
    today, text = clock.today(), text or ""
    try:
        if not (len(text) == 4 and text.isascii() and text.isdigit()):
            raise ValueError(text)
        day = date(today.year, int(text[:2]), int(text[2:]))
    except ValueError as exc:
        raise TradeRefused("30", "报文格式错误：settleDate 应为 MMDD") from exc
    if day == today:
        raise TradeRefused(bill.NO_FILE, "文件不存在：当日对账文件尚未生成")
    if day > today:
        try:
            day = day.replace(year=today.year - 1)
        except ValueError as exc:  # 0229 of a year without one
            raise TradeRefused(bill.NO_FILE, "文件不存在") from exc
    return day


def file_text(session: Session, mer_id: str, day: date) -> str:
    merchant = SandboxUnionpayTrade.mer_id == mer_id
    rows = []
    for trade, paid_at in paid_on(
        session, SandboxUnionpayTrade, merchant, day, SandboxUnionpayTrade.order_id
    ):
        rows.append(
            [
                bill.CONSUME,
                ACQUIRER,
                SENDER,
                trade.trace_no or "000000",
                to_shanghai(paid_at).strftime("%m%d%H%M%S"),
                MASKED_CARD,
                f"{trade.amount_fen:012d}",
                MCC,
                trade.channel_type,
                trade.query_id,
                PAY_WAY,
                trade.order_id,
                trade.mer_id,
                trade.txn_time,
                "",
            ]
        )
    refunded = SandboxUnionpayRefund.merchant == mer_id
    for refund, refunded_at in done_on(
        session, SandboxUnionpayRefund, "refunded_at", refunded, day, SandboxUnionpayRefund.out_refund_no
    ):
        rows.append(
            [
                bill.REFUND,
                ACQUIRER,
                SENDER,
                refund.trace_no,
                to_shanghai(refunded_at).strftime("%m%d%H%M%S"),
                MASKED_CARD,
                f"{refund.amount_fen:012d}",
                MCC,
                "07",
                refund.refund_no,
                PAY_WAY,
                refund.out_refund_no,
                refund.merchant,
                refund.txn_time,
                refund.orig_query_id,
            ]
        )
    return "".join(bill.SEPARATOR.join(row) + "\r\n" for row in rows)


def file_zip(session: Session, mer_id: str, day: date) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        # A fixed timestamp: the same trades make the same bytes, so the same file is recognized.
        info = zipfile.ZipInfo(
            bill.member_name(day, mer_id), date_time=(day.year, day.month, day.day, 0, 0, 0)
        )
        packed.writestr(info, file_text(session, mer_id, day).encode("utf-8"), zipfile.ZIP_DEFLATED)
    return archive.getvalue()


def _answer(settings: Settings, params: dict[str, str], extra: dict[str, str]) -> Response:
    common = {
        "version": fields.VERSION,
        "encoding": fields.ENCODING,
        "signMethod": signing.SIGN_METHOD,
        "certId": protocol.SANDBOX_CERT_ID,
        "accessType": "0",
        "merId": keys.mer_id(settings),
        "txnType": bill.TXN_FILE_TRANSFER,
        "txnSubType": "01",
        "bizType": "000000",
    }
    echo = {name: params[name] for name in ("settleDate", "txnTime", "fileType") if params.get(name)}
    return protocol.answer(settings, common | echo | extra)


@protocol.text_route(router, "/gateway/api/fileTransfer.do", "银联文件传输（对账文件下载）")
def file_transfer(params: Params, session: DbSession, runtime: RuntimeDep, clock: Clock) -> Response:
    settings = runtime.settings
    try:
        protocol.check_request(params, settings)
        expected = {
            "txnType": bill.TXN_FILE_TRANSFER,
            "bizType": "000000",
            "fileType": bill.FILE_TYPE_GENERAL,
        }
        for name, value in expected.items():
            if params.get(name) != value:
                raise TradeRefused("30", f"报文格式错误：{name} 应为 {value}")
        day = settle_day(params.get("settleDate"), clock)
    except TradeRefused as refused:
        return _answer(settings, params, {"respCode": refused.code, "respMsg": refused.message})
    mer_id = keys.mer_id(settings)
    content = bill.encode_content(file_zip(session, mer_id, day))
    return _answer(
        settings,
        params,
        {
            "respCode": fields.SUCCESS,
            "respMsg": protocol.OK,
            "fileName": f"{bill.member_name(day, mer_id)}.zip",
            "fileContent": content,
        },
    )
