"""The simulated Alipay's refunds: `alipay.trade.refund` and `alipay.trade.fastpay.refund.query`.

As Alipay: only a paid trade is refunded, never more than was paid over all its refunds, and a request
repeated with the same `out_request_no` answers the refund already made (`fund_change` "N") instead of
refunding again — the ledger (`sandbox_alipay_refunds`) holds one row per refund request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.channels.alipay import fields
from shebao.kit.clock import ServiceClock
from shebao.kit.money import MoneyError
from shebao.sandbox.alipay import protocol, trades
from shebao.sandbox.alipay.models import SandboxAlipayRefund, SandboxAlipayTrade

REFUND = "alipay.trade.refund"
REFUND_QUERY = "alipay.trade.fastpay.refund.query"


def _request_no(request: protocol.GatewayRequest, trade: SandboxAlipayTrade) -> str:
    # Alipay: without out_request_no the refund is of the whole trade, its request id the out_trade_no.
    found = str(request.biz.get("out_request_no") or trade.out_trade_no)
    if not 0 < len(found) <= 64:
        raise trades.TradeRefused("ACQ.INVALID_PARAMETER", "参数无效：out_request_no 应为1至64个字符")
    return found


def _existing(session: Session, trade: SandboxAlipayTrade, request_no: str) -> SandboxAlipayRefund | None:
    query = select(SandboxAlipayRefund).where(
        SandboxAlipayRefund.trade_id == trade.id, SandboxAlipayRefund.out_request_no == request_no
    )
    return session.scalars(query).first()


def refunded_total(session: Session, trade: SandboxAlipayTrade) -> int:
    query = select(func.coalesce(func.sum(SandboxAlipayRefund.amount_fen), 0)).where(
        SandboxAlipayRefund.trade_id == trade.id
    )
    return int(session.scalar(query) or 0)


def _answer(
    session: Session, trade: SandboxAlipayTrade, refund: SandboxAlipayRefund, changed: bool
) -> dict[str, Any]:
    return {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_user_id": trade.buyer_id or trades.SANDBOX_BUYER_ID,
        "fund_change": "Y" if changed else "N",
        "refund_fee": fields.yuan(refunded_total(session, trade)),
        "gmt_refund_pay": fields.format_time(refund.refunded_at),
    }


def refund(session: Session, request: protocol.GatewayRequest, clock: ServiceClock) -> dict[str, Any]:
    trade = trades.of_request(
        session, request
    )  # locked: two refunds of one trade are decided one after the other
    try:
        amount_fen = fields.fen(str(request.biz.get("refund_amount") or ""))
    except MoneyError as exc:
        raise trades.TradeRefused(
            "ACQ.INVALID_PARAMETER", "参数无效：refund_amount 应为以元为单位、最多两位小数的金额"
        ) from exc
    request_no = _request_no(request, trade)
    existing = _existing(session, trade, request_no)
    if existing is not None:
        if existing.amount_fen != amount_fen:
            raise trades.TradeRefused(
                "ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求：同一退款请求号的退款金额不同"
            )
        return _answer(session, trade, existing, changed=False)
    if trade.status != fields.TRADE_SUCCESS:
        raise trades.TradeRefused("ACQ.TRADE_STATUS_ERROR", "交易状态不合法：只有支付成功的交易可以退款")
    if amount_fen <= 0:
        raise trades.TradeRefused("ACQ.INVALID_PARAMETER", "参数无效：退款金额应大于0")
    if refunded_total(session, trade) + amount_fen > trade.amount_fen:
        raise trades.TradeRefused("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限：退款总额不能超过交易金额")
    made = SandboxAlipayRefund(
        trade_id=trade.id,
        out_request_no=request_no,
        amount_fen=amount_fen,
        reason=str(request.biz.get("refund_reason") or "")[:256] or None,
        refunded_at=clock.now(),
    )
    session.add(made)
    session.flush()
    return _answer(session, trade, made, changed=True)


def query(session: Session, request: protocol.GatewayRequest, clock: ServiceClock) -> dict[str, Any]:
    trade = trades.of_request(session, request)
    request_no = _request_no(request, trade)
    found = _existing(session, trade, request_no)
    content: dict[str, Any] = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "out_request_no": request_no,
    }
    if found is None:
        return content  # Alipay: nothing found under this request id means it was not refunded
    return content | {
        "total_amount": fields.yuan(trade.amount_fen),
        "refund_amount": fields.yuan(found.amount_fen),
        "refund_status": "REFUND_SUCCESS",
        "gmt_refund_pay": fields.format_time(found.refunded_at),
    }


def of_trade(session: Session, trade: SandboxAlipayTrade) -> list[SandboxAlipayRefund]:
    query = select(SandboxAlipayRefund).where(SandboxAlipayRefund.trade_id == trade.id)
    return list(session.scalars(query.order_by(SandboxAlipayRefund.refunded_at, SandboxAlipayRefund.id)))
