"""The simulated UnionPay's orders: opened from a verified front form, paid or abandoned by the payer,
expired by their own `payTimeout` (against the service clock)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.channels.unionpay import fields
from shebao.kit.ids import random_digits
from shebao.sandbox import deliveries
from shebao.sandbox.options import Refusal
from shebao.sandbox.unionpay.models import EXPIRED, FAILED, PAID, UNPAID, SandboxUnionpayTrade


class TradeRefused(Refusal):
    """What the gateway answers with a UnionPay `respCode` and Chinese `respMsg`."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message, code)


def _format(reason: str) -> TradeRefused:
    return TradeRefused("30", f"报文格式错误：{reason}")


def find(session: Session, order_id: str, *, for_update: bool = False) -> SandboxUnionpayTrade | None:
    query = select(SandboxUnionpayTrade).where(SandboxUnionpayTrade.order_id == order_id)
    return session.scalars(query.with_for_update() if for_update else query).first()


def url(params: dict[str, str], name: str) -> str:
    """A request's notification or return address (backUrl, frontUrl), checked."""
    found = params.get(name, "")
    if not found or len(found) > 512 or not found.startswith(("http://", "https://")):
        raise _format(f"{name} 应为不超过512个字符的 http(s) 地址")
    return found


def order_terms(params: dict[str, str]) -> tuple[str, int]:
    """The orderId and txnAmt (fen) of a consumption or a 退货, checked with its txnTime."""
    order_id = params.get("orderId", "")
    if not fields.is_order_id(order_id):
        raise _format("orderId 应为8至32位字母或数字")
    try:
        fields.parse_time(params.get("txnTime", ""))
        amount_fen = fields.fen(params.get("txnAmt", ""))
    except ValueError as exc:
        raise _format("txnTime 应为 yyyyMMddHHmmss，txnAmt 应为以分为单位的正整数") from exc
    return order_id, amount_fen


def open_trade(session: Session, params: dict[str, str], now: datetime) -> SandboxUnionpayTrade:
    """The order of a verified front form: new, or the one already placed with the same terms."""
    expected = {
        "txnType": fields.TXN_CONSUME,
        "txnSubType": "01",
        "bizType": fields.BIZ_GATEWAY,
        "currencyCode": fields.CURRENCY_CNY,
        "accessType": "0",
    }
    for name, value in expected.items():
        if params.get(name) != value:
            raise _format(f"{name} 应为 {value}")
    if params.get("channelType") not in ("07", "08"):
        raise _format("channelType 应为 07（PC）或 08（手机）")
    order_id, amount_fen = order_terms(params)
    try:
        timeout = params.get("payTimeout")
        pay_timeout = fields.parse_time(timeout) if timeout else None
    except ValueError as exc:
        raise _format("payTimeout 应为 yyyyMMddHHmmss") from exc
    back_url = url(params, "backUrl")
    front_url = url(params, "frontUrl") if params.get("frontUrl") else None
    existing = find(session, order_id, for_update=True)
    if existing is not None:
        if (existing.txn_time, existing.amount_fen) != (params["txnTime"], amount_fen):
            raise TradeRefused("12", "重复交易：同一订单号的交易时间或金额不一致")
        expire_if_due(existing, now)
        return existing
    trade = SandboxUnionpayTrade(
        order_id=order_id,
        txn_time=params["txnTime"],
        query_id=params["txnTime"][2:] + random_digits(9),
        mer_id=params["merId"],
        channel_type=params["channelType"],
        amount_fen=amount_fen,
        status=UNPAID,
        front_url=front_url,
        pay_timeout=pay_timeout,
        created_at=now,
        notify_url=back_url,
    )
    return deliveries.stored(session, trade)


def expire_if_due(trade: SandboxUnionpayTrade, now: datetime) -> None:
    if trade.status == UNPAID and trade.pay_timeout is not None and now >= trade.pay_timeout:
        trade.status, trade.closed_at = EXPIRED, trade.pay_timeout


def pay(trade: SandboxUnionpayTrade, now: datetime, *, notify: bool, force: bool = False) -> None:
    """The payer pays. `force` pays even an ended order: the race behind a late success after a close."""
    expire_if_due(trade, now)
    if trade.status == PAID:
        raise TradeRefused("12", "重复交易：该订单已支付")
    if trade.status != UNPAID and not force:
        raise TradeRefused("77", "订单已失效，不能支付")
    trade.status, trade.paid_at, trade.trace_no = PAID, now, random_digits(6)
    deliveries.start_event(trade, f"{trade.query_id}:{fields.SUCCESS}", now, notify=notify)


def cancel(trade: SandboxUnionpayTrade, now: datetime) -> None:
    """The payer gives up at the cashier: UnionPay records the payment as failed (no back notification)."""
    expire_if_due(trade, now)
    if trade.status != UNPAID:
        raise TradeRefused("77", "订单状态不正确：只有未支付的订单可以取消")
    trade.status, trade.closed_at = FAILED, now
