"""`/sandbox/{provider}/trades/{out_trade_no}` and its `/pay`, `/cancel` and `/notify` (API.md, Sandboxes):
the trade API that tests and rehearsals drive, one router for the three cashier providers.

Each provider's `endpoints.py` declares its `TradeDesk`: how it finds, pays and cancels a trade, what it
says, and how it sends the trade's current notification again.
"""

# No `from __future__ import annotations`: the endpoints are built per provider, and FastAPI reads their
# annotations (the provider's models) as objects.

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Body
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.deps import Clock, DbSession, WriteSession
from shebao.errors import Conflict, NotFound
from shebao.kit.clock import ServiceClock
from shebao.sandbox import deliveries, options
from shebao.sandbox.options import CopiesSent, NotifyCopies


class Trades(Protocol):
    """A provider's `trades` module, as the trade API uses it."""

    def find(self, session: Session, out_trade_no: str, *, for_update: bool = False) -> Any: ...

    def expire_if_due(self, trade: Any, now: datetime) -> None: ...

    def pay(self, trade: Any, now: datetime, *, notify: bool, force: bool = False) -> None: ...


class Notifier(Protocol):
    """A provider's `notifier` module: the trade's new event delivered once it is committed."""

    def deliver_after_commit(self, session: Session, trade: Any) -> None: ...


@dataclass(frozen=True)
class TradeDesk:
    """One provider's trade API. `name` and `noun` make its messages (支付宝沙箱中没有该交易); `summaries`
    are those of pay, cancel and notify (the read is `{noun}详情`); `refused` is the provider's refusal
    (its str the Chinese reason: a 409). `resend` sends the trade's current notification again;
    `cancel`, by default the provider's `trades.cancel(trade, now)`, closes an unpaid trade. The request
    and answer models default to those of the providers whose notifications are events (`options.py`)."""

    name: str
    noun: str
    summaries: tuple[str, str, str]
    view: type[BaseModel]
    trades: Trades
    notifier: Notifier
    refused: type[Exception]
    resend: Callable[[Session, Any, Any, datetime], BaseModel]
    cancel: Callable[[Session, Any, datetime, Any], None] | None = None
    pay_options: type[BaseModel] = options.PayOptions
    cancel_options: type[BaseModel] = options.CancelOptions
    notify_options: type[BaseModel] = options.NotifyCopies
    copies_sent: type[BaseModel] = options.CopiesSent

    def trade(self, session: Session, out_trade_no: str, *, for_update: bool = False) -> Any:
        trade = self.trades.find(session, out_trade_no, for_update=for_update)
        if trade is None:
            raise NotFound(f"{self.name}中没有该{self.noun}")
        return trade

    def do_pay(self, session: Session, trade: Any, now: datetime, chosen: Any) -> None:
        """The trade is paid (`chosen`: the pay options); its notification goes once committed."""
        self.trades.pay(trade, now, notify=chosen.notify, force=chosen.force)
        self.notifier.deliver_after_commit(session, trade)

    def do_cancel(self, session: Session, trade: Any, now: datetime, chosen: Any) -> None:
        """The unpaid trade closes (`chosen`: the cancel options)."""
        if self.cancel is None:
            self.trades.cancel(trade, now)  # type: ignore[attr-defined]
        else:
            self.cancel(session, trade, now, chosen)


def trade_router(desk: TradeDesk) -> APIRouter:
    """The four routes of `desk`, to include under the provider's `/sandbox/{provider}` prefix."""
    router = APIRouter()
    pay_summary, cancel_summary, notify_summary = desk.summaries
    PayOptions, CancelOptions, NotifyOptions = desk.pay_options, desk.cancel_options, desk.notify_options  # noqa: N806

    def view(trade: Any) -> BaseModel:
        return desk.view.model_validate(trade, from_attributes=True)

    @router.get("/trades/{out_trade_no}", response_model=desk.view, summary=f"{desk.name}：{desk.noun}详情")
    def read_trade(out_trade_no: str, session: DbSession) -> Any:
        return view(desk.trade(session, out_trade_no))

    @router.post(
        "/trades/{out_trade_no}/pay", response_model=desk.view, summary=f"{desk.name}：{pay_summary}"
    )
    def pay_trade(
        out_trade_no: str,
        session: WriteSession,
        clock: Clock,
        body: PayOptions | None = Body(default=None),  # type: ignore[valid-type]
    ) -> Any:
        chosen = body or PayOptions()
        return view(_act(desk, session, out_trade_no, clock, desk.do_pay, chosen))

    @router.post(
        "/trades/{out_trade_no}/cancel", response_model=desk.view, summary=f"{desk.name}：{cancel_summary}"
    )
    def cancel_trade(
        out_trade_no: str,
        session: WriteSession,
        clock: Clock,
        body: CancelOptions | None = Body(default=None),  # type: ignore[valid-type]
    ) -> Any:
        chosen = body or CancelOptions()
        return view(_act(desk, session, out_trade_no, clock, desk.do_cancel, chosen))

    @router.post(
        "/trades/{out_trade_no}/notify",
        response_model=desk.copies_sent,
        summary=f"{desk.name}：{notify_summary}",
    )
    def resend_notification(
        out_trade_no: str,
        body: NotifyOptions,  # type: ignore[valid-type]
        session: WriteSession,
        clock: Clock,
    ) -> Any:
        """The trade's current notification, `copies` more times with the same event id (at once, or
        after `delay_seconds` of the service clock where the provider allows it)."""
        trade = desk.trade(session, out_trade_no, for_update=True)
        return desk.resend(session, trade, body, clock.now())

    return router


Act = Callable[[Session, Any, datetime, Any], None]


def _act(
    desk: TradeDesk, session: Session, out_trade_no: str, clock: ServiceClock, act: Act, chosen: Any
) -> Any:
    """`act` on the trade, locked, with the options `chosen`; the provider's refusal is a 409 that keeps
    what the step found (a trade closed for its time-out stays closed)."""
    trade = desk.trade(session, out_trade_no, for_update=True)
    try:
        act(session, trade, clock.now(), chosen)
    except desk.refused as refused:
        raise Conflict(str(refused)).counted() from refused
    return trade


E = TypeVar("E", bound=deliveries.Notified)


def resend_event(
    not_yet: str,
    out_trade_no: Callable[[E], str],
    copies_after_commit: Callable[[Session, E, int, int], None],
) -> Callable[[Session, E, NotifyCopies, datetime], CopiesSent]:
    """`TradeDesk.resend` of a provider whose notifications are `deliveries` events (WeChat Pay,
    UnionPay): copies now, or later than retries or a query (out of order). `not_yet`: the refusal of a
    trade with no event yet."""

    def resend(session: Session, trade: E, body: NotifyCopies, now: datetime) -> CopiesSent:
        if trade.event_id is None:
            raise Conflict(not_yet)
        if body.delay_seconds:
            deliveries.delay_copies(trade, body.copies, now + timedelta(seconds=body.delay_seconds))
        copies_after_commit(session, trade, body.copies, body.delay_seconds)
        return CopiesSent(
            out_trade_no=out_trade_no(trade),
            event_id=trade.event_id,
            copies=body.copies,
            delay_seconds=body.delay_seconds,
        )

    return resend
