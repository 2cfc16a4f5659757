"""`/sandbox/wechat/...` (API.md, Sandboxes): the API v3 gateway (with its trade bills), the cashier pages
and the trade API that tests and rehearsals drive (pay, cancel, send the callback again now or later)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Body
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.deps import Clock, DbSession, WriteSession
from shebao.errors import Conflict, NotFound
from shebao.sandbox import deliveries
from shebao.sandbox.options import CancelOptions, CopiesSent, NotifyCopies, PayOptions
from shebao.sandbox.wechat import api, bills, cashier, notifier, trades
from shebao.sandbox.wechat.models import SandboxWechatTrade

router = APIRouter(prefix="/sandbox/wechat", tags=["sandbox"])
trade_api = APIRouter()


class SandboxTrade(BaseModel):
    out_trade_no: str
    prepay_id: str
    transaction_id: str
    trade_type: str
    status: str
    amount_fen: int
    description: str
    openid: str | None
    event_id: str | None
    notify_state: str
    notify_attempts: int
    delayed_copies: int
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    closed_at: datetime | None


def _view(trade: SandboxWechatTrade) -> SandboxTrade:
    return SandboxTrade.model_validate(trade, from_attributes=True)


def _trade(session: Session, out_trade_no: str, *, for_update: bool = False) -> SandboxWechatTrade:
    trade = trades.find(session, out_trade_no, for_update=for_update)
    if trade is None:
        raise NotFound("微信支付沙箱中没有该订单")
    return trade


@trade_api.get("/trades/{out_trade_no}", response_model=SandboxTrade, summary="微信支付沙箱：订单详情")
def read_trade(out_trade_no: str, session: DbSession) -> SandboxTrade:
    return _view(_trade(session, out_trade_no))


@trade_api.post("/trades/{out_trade_no}/pay", response_model=SandboxTrade, summary="微信支付沙箱：付款人支付")
def pay_trade(
    out_trade_no: str, session: WriteSession, clock: Clock, body: PayOptions | None = Body(default=None)
) -> SandboxTrade:
    options = body or PayOptions()
    trade = _trade(session, out_trade_no, for_update=True)
    try:
        trades.pay(trade, clock.now(), notify=options.notify, force=options.force)
    except trades.OrderRefused as refused:
        raise Conflict(refused.message).counted() from refused  # counted: keep a time-out close it found
    notifier.deliver_after_commit(session, trade)
    return _view(trade)


@trade_api.post(
    "/trades/{out_trade_no}/cancel",
    response_model=SandboxTrade,
    summary="微信支付沙箱：付款人放弃（订单关闭）",
)
def cancel_trade(
    out_trade_no: str, session: WriteSession, clock: Clock, body: CancelOptions | None = Body(default=None)
) -> SandboxTrade:
    trade = _trade(session, out_trade_no, for_update=True)
    try:
        trades.cancel(trade, clock.now())
    except trades.OrderRefused as refused:
        raise Conflict(refused.message).counted() from refused
    return _view(trade)


@trade_api.post(
    "/trades/{out_trade_no}/notify", response_model=CopiesSent, summary="微信支付沙箱：再次发送支付通知"
)
def resend_notification(
    out_trade_no: str, body: NotifyCopies, session: WriteSession, clock: Clock
) -> CopiesSent:
    """The order's payment callback `copies` more times (same `id`), at once or after `delay_seconds` of
    the service clock — later than retries or a query, so out of order."""
    trade = _trade(session, out_trade_no, for_update=True)
    if trade.event_id is None:
        raise Conflict("该订单还没有可发送的通知（尚未支付）")
    if body.delay_seconds:
        deliveries.delay_copies(trade, body.copies, clock.now() + timedelta(seconds=body.delay_seconds))
    notifier.copies_after_commit(session, trade, body.copies, body.delay_seconds)
    return CopiesSent(
        out_trade_no=trade.out_trade_no,
        event_id=trade.event_id,
        copies=body.copies,
        delay_seconds=body.delay_seconds,
    )


router.include_router(api.router)
router.include_router(bills.router)
router.include_router(cashier.router)
router.include_router(trade_api)
