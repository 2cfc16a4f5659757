"""The simulated Alipay's trades: opened from a verified order, paid or cancelled by the buyer, closed by
the merchant or by their own `time_expire` (against the service clock, like every time rule)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.channels.alipay import fields
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import new_id, random_digits
from shebao.kit.money import MoneyError
from shebao.sandbox import deliveries
from shebao.sandbox.alipay.models import NOTIFY_NONE, SandboxAlipayTrade
from shebao.sandbox.options import Refusal

if TYPE_CHECKING:
    from shebao.sandbox.alipay.protocol import GatewayRequest

SELLER_ID = "2088102177000001"  # the sandbox merchant's Alipay user id
SANDBOX_BUYER_ID = "2088102177846888"  # who pays at the sandbox cashier when the order names nobody
MAX_AMOUNT_FEN = 100_000_000_00  # Alipay: total_amount up to 100,000,000 yuan
PRODUCT_CODES = ("QUICK_WAP_PAY", "JSAPI_PAY")  # what the sandbox sells: WAP and mini-program payment
_OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class TradeRefused(Refusal):
    """What the gateway answers with an Alipay error code; the sandbox API answers it as a 4xx."""

    def __init__(self, sub_code: str, sub_msg: str, *, code: str = "40004") -> None:
        self.code, self.sub_code, self.sub_msg = code, sub_code, sub_msg
        super().__init__(sub_msg, sub_code)


def find(session: Session, out_trade_no: str, *, for_update: bool = False) -> SandboxAlipayTrade | None:
    query = select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == out_trade_no)
    return session.scalars(query.with_for_update() if for_update else query).first()


def find_by_trade_no(
    session: Session, trade_no: str, *, for_update: bool = False
) -> SandboxAlipayTrade | None:
    query = select(SandboxAlipayTrade).where(SandboxAlipayTrade.trade_no == trade_no)
    return session.scalars(query.with_for_update() if for_update else query).first()


def _invalid(reason: str) -> TradeRefused:
    return TradeRefused("ACQ.INVALID_PARAMETER", f"参数无效：{reason}")


def _order_terms(biz: dict[str, Any]) -> tuple[str, int, str, datetime | None]:
    out_trade_no, subject = str(biz.get("out_trade_no") or ""), str(biz.get("subject") or "").strip()
    if not _OUT_TRADE_NO.fullmatch(out_trade_no):
        raise _invalid("商户订单号 out_trade_no 应为1至64位字母、数字、下划线")
    try:
        amount_fen = fields.fen(str(biz.get("total_amount") or ""))
    except MoneyError as exc:
        raise _invalid("订单金额 total_amount 应为以元为单位、最多两位小数的金额") from exc
    if not 1 <= amount_fen <= MAX_AMOUNT_FEN:
        raise _invalid("订单金额 total_amount 应在0.01元至1亿元之间")
    if not subject or len(subject) > 256:
        raise _invalid("订单标题 subject 不能为空且不超过256个字符")
    expire_text = biz.get("time_expire")
    try:
        expires_at = fields.parse_time(str(expire_text)) if expire_text else None
    except ValueError as exc:
        raise _invalid("绝对超时时间 time_expire 格式应为 yyyy-MM-dd HH:mm:ss") from exc
    return out_trade_no, amount_fen, subject, expires_at


def open_trade(
    session: Session,
    *,
    app_id: str,
    biz: dict[str, Any],
    notify_url: str | None,
    return_url: str | None,
    now: datetime,
) -> SandboxAlipayTrade:
    """The trade of an order: new, or the one already opened for the same out_trade_no and terms."""
    out_trade_no, amount_fen, subject, expires_at = _order_terms(biz)
    buyer_id = biz.get("buyer_id") or biz.get("buyer_open_id")
    if buyer_id is not None and not (isinstance(buyer_id, str) and 0 < len(buyer_id) <= 64):
        raise _invalid("买家标识 buyer_id 不正确")
    for name, url in (("notify_url", notify_url), ("return_url", return_url)):
        if url and (len(url) > 512 or not url.startswith(("http://", "https://"))):
            raise _invalid(f"{name} 应为不超过512个字符的 http(s) 地址")
    product_code = str(biz.get("product_code") or "QUICK_WAP_PAY")
    if product_code not in PRODUCT_CODES:
        raise _invalid("销售产品码 product_code 不正确")
    existing = find(session, out_trade_no, for_update=True)
    if existing is not None:
        if (existing.app_id, existing.amount_fen, existing.subject) != (app_id, amount_fen, subject):
            raise TradeRefused("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改：同一商户订单号的金额或标题不一致")
        expire_if_due(existing, now)
        return existing
    trade = SandboxAlipayTrade(
        id=new_id(),
        out_trade_no=out_trade_no,
        trade_no=to_shanghai(now).strftime("%Y%m%d") + "22001" + random_digits(15),
        app_id=app_id,
        product_code=product_code,
        amount_fen=amount_fen,
        subject=subject,
        status=fields.WAIT_BUYER_PAY,
        notify_url=notify_url or None,
        return_url=return_url or None,
        buyer_id=buyer_id,
        expires_at=expires_at,
        created_at=now,
        notify_state=NOTIFY_NONE,
        notify_attempts=0,
    )
    session.add(trade)
    session.flush()
    return trade


def expire_if_due(trade: SandboxAlipayTrade, now: datetime) -> None:
    """An unpaid trade past its time_expire is closed (Alipay closes it on time-out)."""
    if trade.status == fields.WAIT_BUYER_PAY and trade.expires_at is not None and now >= trade.expires_at:
        trade.status = fields.TRADE_CLOSED
        trade.closed_at = trade.expires_at


def pay(trade: SandboxAlipayTrade, now: datetime, *, notify: bool, force: bool = False) -> None:
    """The buyer pays. `force` pays even a closed trade: the race behind a late success after a close."""
    expire_if_due(trade, now)
    if trade.status == fields.TRADE_SUCCESS:
        raise TradeRefused("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
    if trade.status == fields.TRADE_CLOSED and not force:
        raise TradeRefused("ACQ.TRADE_HAS_CLOSE", "交易已经关闭，不能付款")
    trade.status = fields.TRADE_SUCCESS
    trade.paid_at = now
    trade.buyer_id = trade.buyer_id or SANDBOX_BUYER_ID
    start_event(trade, now, notify=notify)


def cancel(trade: SandboxAlipayTrade, now: datetime, *, notify: bool) -> None:
    """The buyer gives up: the trade closes, and Alipay says so as it does for a timed-out trade."""
    expire_if_due(trade, now)
    if trade.status != fields.WAIT_BUYER_PAY:
        raise TradeRefused("ACQ.TRADE_STATUS_ERROR", "交易状态不合法：只有等待付款的交易可以取消")
    trade.status = fields.TRADE_CLOSED
    trade.closed_at = now
    start_event(trade, now, notify=notify)


def merchant_close(trade: SandboxAlipayTrade, now: datetime) -> None:
    """alipay.trade.close: an unpaid trade closes (no notification: the merchant asked); a paid one cannot."""
    expire_if_due(trade, now)
    if trade.status == fields.TRADE_SUCCESS:
        raise TradeRefused("ACQ.TRADE_STATUS_ERROR", "交易状态不合法：交易已支付，不能关闭")
    if trade.status == fields.WAIT_BUYER_PAY:
        trade.status = fields.TRADE_CLOSED
        trade.closed_at = now


def start_event(trade: SandboxAlipayTrade, now: datetime, *, notify: bool) -> None:
    """A new event gets a new notify_id; its notification is due at once, or lost when `notify` is false."""
    trade.notify_id = new_id().hex
    deliveries.first_try(trade, now, notify=notify)


def of_request(session: Session, request: GatewayRequest) -> SandboxAlipayTrade:
    """The trade a gateway request names (out_trade_no or trade_no) of the requesting app, locked."""
    out_trade_no, trade_no = request.biz.get("out_trade_no"), request.biz.get("trade_no")
    if not out_trade_no and not trade_no:
        raise TradeRefused("ACQ.INVALID_PARAMETER", "参数无效：out_trade_no 和 trade_no 不能同时为空")
    trade = find(session, str(out_trade_no), for_update=True) if out_trade_no else None
    if trade is None and trade_no:
        trade = find_by_trade_no(session, str(trade_no), for_update=True)
    if trade is None or trade.app_id != request.app_id:
        raise TradeRefused("ACQ.TRADE_NOT_EXIST", "交易不存在")
    return trade
