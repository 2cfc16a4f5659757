"""`/sandbox/wechat/v3/bill/tradebill` and `/sandbox/wechat/v3/billdownload/file`: WeChat Pay's trade bill
(申请交易账单, 下载账单) as the adapter calls them, both requests signed like every v3 call.

The bill of a day lists the orders paid that day and the refunds made that day (Beijing time) in
WeChat Pay's ALL layout (`channels/wechat/bill.py`): backquoted fields, a summary header and row; UTF-8.
Only a closed day (service clock) has a bill. The file is rendered from the ledger each time, so the SHA1
answered by the first call holds for the download unless a trade changed in between — as at WeChat Pay,
where a bill is fixed once made. The download answer is the file itself, not signed (its SHA1 vouches for
it); errors are signed JSON.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from shebao.channels.wechat import bill, fields, keys
from shebao.deps import DbSession
from shebao.kit.clock import ServiceClock, to_shanghai
from shebao.kit.money import fen_to_yuan_text
from shebao.sandbox.bills import done_on, paid_on
from shebao.sandbox.wechat import protocol
from shebao.sandbox.wechat.models import SandboxWechatRefund, SandboxWechatTrade
from shebao.sandbox.wechat.protocol import Call
from shebao.sandbox.wechat.refund_ledger import trade_of
from shebao.sandbox.wechat.trades import OrderRefused

router = APIRouter(prefix="/v3", responses=protocol.ERROR_RESPONSES)
BILL_TYPE = "ALL"


def _day(text: str | None, clock: ServiceClock) -> date:
    try:
        day = date.fromisoformat(text or "")
    except ValueError as exc:
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：bill_date 格式应为 yyyy-MM-dd") from exc
    if day >= clock.today():
        raise OrderRefused(400, "NO_STATEMENT_EXIST", "账单文件不存在：只能下载已结束日期的账单")
    return day


def _token(day: date) -> str:
    return base64.urlsafe_b64encode(f"{BILL_TYPE}|{day.isoformat()}".encode("ascii")).decode("ascii")


def _token_day(token: str | None, clock: ServiceClock) -> date:
    try:
        kind, _, text = base64.urlsafe_b64decode((token or "").encode("ascii")).decode("ascii").partition("|")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：token 无效") from exc
    if kind != BILL_TYPE:
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：token 无效")
    return _day(text, clock)


def _yuan(amount_fen: int) -> str:
    return fen_to_yuan_text(amount_fen)


def _row(at: datetime, trade: SandboxWechatTrade, refund: SandboxWechatRefund | None) -> list[str]:
    """A bill line: the payment (SUCCESS), or one refund of it (REFUND, its own numbers and amount)."""
    amount = _yuan(trade.amount_fen)
    refunded = _yuan(refund.amount_fen) if refund else "0.00"
    return [
        to_shanghai(at).strftime(bill.TIME_FORMAT),
        trade.appid,
        trade.mchid,
        "0",  # 特约商户号: none, a direct merchant
        "",
        trade.transaction_id,
        trade.out_trade_no,
        trade.openid or "",
        trade.trade_type,
        fields.REFUND if refund else fields.SUCCESS,
        "OTHERS",
        "CNY",
        "0.00" if refund else amount,  # 应结订单金额: no vouchers
        "0.00",
        refund.refund_no if refund else "0",
        refund.out_refund_no if refund else "0",
        refunded,
        "0.00",
        "ORIGINAL" if refund else "",  # 退款类型
        "SUCCESS" if refund else "",  # 退款状态
        trade.description,
        "",
        "0.00",  # 手续费: the sandbox charges none
        "0.60%",
        amount,  # 订单金额
        refunded,  # 申请退款金额
        "",
    ]


def bill_bytes(session: Session, mchid: str, day: date) -> bytes:
    """The trade bill (ALL) of `day`: the merchant's orders paid that day and refunds made that day,
    Beijing time."""
    merchant = SandboxWechatTrade.mchid == mchid
    paid = paid_on(session, SandboxWechatTrade, merchant, day, SandboxWechatTrade.out_trade_no)
    made = done_on(
        session,
        SandboxWechatRefund,
        "refunded_at",
        SandboxWechatRefund.merchant == mchid,
        day,
        SandboxWechatRefund.out_refund_no,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(bill.HEADER)
    for trade, paid_at in paid:
        writer.writerow(["`" + cell for cell in _row(paid_at, trade, None)])
    for refund, refunded_at in made:
        writer.writerow(["`" + cell for cell in _row(refunded_at, trade_of(session, refund), refund)])
    total = _yuan(sum(trade.amount_fen for trade, _ in paid))
    refunded = _yuan(sum(refund.amount_fen for refund, _ in made))
    summary = [str(len(paid) + len(made)), total, refunded, "0.00", "0.00", total, refunded]
    writer.writerow(bill.SUMMARY_HEADER)
    writer.writerow(["`" + cell for cell in summary])
    return out.getvalue().encode("utf-8")


@router.get("/bill/tradebill", summary="微信支付沙箱：申请交易账单", response_model=None)
def trade_bill(call: Call, session: DbSession) -> Response:
    def act(_: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        params, settings = call.request.query_params, call.runtime.settings
        day = _day(params.get("bill_date"), call.clock)
        if params.get("bill_type", BILL_TYPE) != BILL_TYPE:
            raise OrderRefused(400, "PARAM_ERROR", "参数错误：沙箱仅支持 bill_type=ALL")
        content = bill_bytes(session, keys.mchid(settings), day)
        base = settings.base_url.rstrip("/") + keys.SANDBOX_PATH
        return 200, {
            "download_url": f"{base}/v3/billdownload/file?token={_token(day)}",
            "hash_type": bill.HASH_TYPE,
            "hash_value": hashlib.sha1(content).hexdigest(),  # noqa: S324 (WeChat's choice)
        }

    return call.answer(act)


@router.get("/billdownload/file", summary="微信支付沙箱：下载账单", response_model=None)
def download(call: Call, session: DbSession) -> Response:
    def act(_: dict[str, Any] | None) -> Response:
        day = _token_day(call.request.query_params.get("token"), call.clock)
        content = bill_bytes(session, keys.mchid(call.runtime.settings), day)
        return Response(content, media_type="application/octet-stream")

    return call.serve(act)
