"""`/sandbox/alipay/...` (API.md, Sandboxes): the gateway, the cashier pages and the trade API that tests
and rehearsals drive (pay, cancel, send the notification again)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from shebao.deps import Clock, DbSession, WriteSession
from shebao.errors import Conflict, NotFound
from shebao.sandbox.alipay import bills, cashier, gateway, notifier, trades
from shebao.sandbox.alipay.models import SandboxAlipayTrade

router = APIRouter(prefix="/sandbox/alipay", tags=["sandbox"])
api = APIRouter()


class PayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notify: bool = Field(default=True, description="false：通知丢失，只能通过查询或对账得知")
    force: bool = Field(default=False, description="true：即使交易已关闭也付款（模拟关闭与付款的竞态）")


class CancelOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notify: bool = True


class NotifyCopies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    copies: int = Field(ge=1, le=100, description="再发送几次当前通知（同一 notify_id）")


class SandboxTrade(BaseModel):
    out_trade_no: str
    trade_no: str
    app_id: str
    status: str
    amount_fen: int
    subject: str
    buyer_id: str | None
    notify_id: str | None
    notify_state: str
    notify_attempts: int
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    closed_at: datetime | None


class CopiesSent(BaseModel):
    out_trade_no: str
    notify_id: str
    copies: int


def _view(trade: SandboxAlipayTrade) -> SandboxTrade:
    return SandboxTrade.model_validate(trade, from_attributes=True)


def _trade(session: Session, out_trade_no: str, *, for_update: bool = False) -> SandboxAlipayTrade:
    trade = trades.find(session, out_trade_no, for_update=for_update)
    if trade is None:
        raise NotFound("支付宝沙箱中没有该交易")
    return trade


@api.get("/trades/{out_trade_no}", response_model=SandboxTrade, summary="支付宝沙箱：交易详情")
def read_trade(out_trade_no: str, session: DbSession) -> SandboxTrade:
    return _view(_trade(session, out_trade_no))


@api.post("/trades/{out_trade_no}/pay", response_model=SandboxTrade, summary="支付宝沙箱：买家付款")
def pay_trade(
    out_trade_no: str, session: WriteSession, clock: Clock, body: PayOptions | None = Body(default=None)
) -> SandboxTrade:
    options = body or PayOptions()
    trade = _trade(session, out_trade_no, for_update=True)
    try:
        trades.pay(trade, clock.now(), notify=options.notify, force=options.force)
    except trades.TradeRefused as refused:
        raise Conflict(refused.sub_msg).counted() from refused  # counted: keep a time-out close it found
    notifier.deliver_after_commit(session, trade)
    return _view(trade)


@api.post(
    "/trades/{out_trade_no}/cancel", response_model=SandboxTrade, summary="支付宝沙箱：买家取消（交易关闭）"
)
def cancel_trade(
    out_trade_no: str, session: WriteSession, clock: Clock, body: CancelOptions | None = Body(default=None)
) -> SandboxTrade:
    options = body or CancelOptions()
    trade = _trade(session, out_trade_no, for_update=True)
    try:
        trades.cancel(trade, clock.now(), notify=options.notify)
    except trades.TradeRefused as refused:
        raise Conflict(refused.sub_msg).counted() from refused
    notifier.deliver_after_commit(session, trade)
    return _view(trade)


@api.post("/trades/{out_trade_no}/notify", response_model=CopiesSent, summary="支付宝沙箱：再次发送当前通知")
def resend_notification(out_trade_no: str, body: NotifyCopies, session: DbSession) -> CopiesSent:
    """The trade's current notification, `copies` more times at once, with the same notify_id."""
    trade = _trade(session, out_trade_no)
    if trade.notify_id is None:
        raise Conflict("该交易还没有可发送的通知（尚未付款或关闭）")
    if trade.notify_url is None:
        raise Conflict("该交易没有通知地址（notify_url）")
    notifier.copies_after_commit(session, trade, body.copies)
    return CopiesSent(out_trade_no=trade.out_trade_no, notify_id=trade.notify_id, copies=body.copies)


router.include_router(bills.router)
router.include_router(gateway.router)
router.include_router(cashier.router)
router.include_router(api)
