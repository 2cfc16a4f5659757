"""`/sandbox/alipay/...` (API.md, Sandboxes): the gateway, the cashier pages and the trade API that tests
and rehearsals drive (pay, cancel, send the notification again)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from shebao.deps import DbSession
from shebao.errors import Conflict, NotFound
from shebao.sandbox import options
from shebao.sandbox.alipay import bills, cashier, gateway, notifier, refunds, trades
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.cashier import cashier_router
from shebao.sandbox.options import TradeView
from shebao.sandbox.trade_api import TradeDesk, Words, trade_router

router = APIRouter(prefix="/sandbox/alipay", tags=["sandbox"])


class CancelOptions(options.CancelOptions):
    notify: bool = True


class NotifyCopies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    copies: int = Field(ge=1, le=100, description="再发送几次当前通知（同一 notify_id）")


class SandboxTrade(TradeView):
    out_trade_no: str
    trade_no: str
    app_id: str
    subject: str
    buyer_id: str | None
    notify_id: str | None
    expires_at: datetime | None


class CopiesSent(BaseModel):
    out_trade_no: str
    notify_id: str
    copies: int


def _cancel(session: Session, trade: SandboxAlipayTrade, now: datetime, options: CancelOptions) -> None:
    """The trade closes, and Alipay says so as it does for a timed-out trade."""
    trades.cancel(trade, now, notify=options.notify)
    notifier.deliver_after_commit(session, trade)


def _resend(
    session: Session, out_trade_no: str, trade: SandboxAlipayTrade, body: NotifyCopies, now: datetime
) -> CopiesSent:
    """The trade's current notification, `copies` more times at once, with the same notify_id."""
    if trade.notify_id is None:
        raise Conflict("该交易还没有可发送的通知（尚未付款或关闭）")
    if trade.notify_url is None:
        raise Conflict("该交易没有通知地址（notify_url）")
    notifier.copies_after_commit(session, trade, body.copies)
    return CopiesSent(out_trade_no=out_trade_no, notify_id=trade.notify_id, copies=body.copies)


WORDS = Words("支付宝沙箱", "交易", "买家付款", "买家取消（交易关闭）", "再次发送当前通知")
desk = TradeDesk(
    WORDS,
    SandboxTrade,
    trades,
    notifier,
    _resend,
    cancel=_cancel,
    cancel_options=CancelOptions,
    notify_options=NotifyCopies,
    copies_sent=CopiesSent,
)


class SandboxRefund(BaseModel):
    out_request_no: str
    amount_fen: int
    refunded_at: datetime


class SandboxRefunds(BaseModel):
    out_trade_no: str
    refunded_fen: int
    items: list[SandboxRefund]


@router.get(
    "/trades/{out_trade_no}/refunds",
    response_model=SandboxRefunds,
    summary="该交易的退款台账（每个退款请求号一条）",
    responses={404: {"description": "交易不存在"}},
)
def trade_refunds(out_trade_no: str, session: DbSession) -> SandboxRefunds:
    trade = trades.find(session, out_trade_no)
    if trade is None:
        raise NotFound("交易不存在")
    made = refunds.of_trade(session, trade)
    return SandboxRefunds(
        out_trade_no=trade.out_trade_no,
        refunded_fen=sum(r.amount_fen for r in made),
        items=[
            SandboxRefund(out_request_no=r.out_request_no, amount_fen=r.amount_fen, refunded_at=r.refunded_at)
            for r in made
        ],
    )


router.include_router(bills.router)
router.include_router(gateway.router)
router.include_router(cashier_router(cashier.CASHIER, desk))
router.include_router(trade_router(desk))
