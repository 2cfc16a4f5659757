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
from typing import Any, NamedTuple, Protocol

from fastapi import APIRouter, Body
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shebao.deps import Clock, DbSession, WriteSession
from shebao.errors import Conflict, NotFound
from shebao.kit.clock import ServiceClock
from shebao.sandbox import deliveries, options
from shebao.sandbox.options import CopiesSent, NotifyCopies, Refusal


class Trades(Protocol):
    """A provider's `trades` module, as the trade API uses it."""

    def find(self, session: Session, out_trade_no: str, *, for_update: bool = False) -> Any: ...

    def expire_if_due(self, trade: Any, now: datetime) -> None: ...

    def pay(self, trade: Any, now: datetime, *, notify: bool, force: bool = False) -> None: ...


class Notifier(Protocol):
    """A provider's `notifier` module: the trade's new event delivered once it is committed."""

    def deliver_after_commit(self, session: Session, trade: Any) -> None: ...


class Words(NamedTuple):
    """What a provider's trade API says: its `name` and `noun` make its messages (支付宝沙箱中没有该交易;
    the read is `{noun}详情`), `pay`, `cancel` and `notify` are the summaries of its three actions."""

    name: str
    noun: str
    pay: str
    cancel: str
    notify: str


@dataclass(frozen=True)
class TradeDesk:
    """One provider's trade API: how it finds, pays and cancels a trade, and what it says. A refusal of
    the provider (`options.Refusal`, its str the Chinese reason) is a 409. `resend` sends the trade's
    current notification again (given the trade's number as asked; `resend_event` for the providers
    whose notifications are events); `cancel`, by default the provider's `trades.cancel(trade, now)`,
    closes an unpaid trade. The request and answer models default to those of the providers whose
    notifications are events (`options.py`)."""

    words: Words
    view: type[BaseModel]
    trades: Trades
    notifier: Notifier
    resend: Callable[[Session, str, Any, Any, datetime], BaseModel]
    cancel: Callable[[Session, Any, datetime, Any], None] | None = None
    pay_options: type[BaseModel] = options.PayOptions
    cancel_options: type[BaseModel] = options.CancelOptions
    notify_options: type[BaseModel] = options.NotifyCopies
    copies_sent: type[BaseModel] = options.CopiesSent

    @property
    def noun(self) -> str:
        return self.words.noun

    def trade(self, session: Session, out_trade_no: str, *, for_update: bool = False) -> Any:
        trade = self.trades.find(session, out_trade_no, for_update=for_update)
        if trade is None:
            raise NotFound(f"{self.words.name}中没有该{self.words.noun}")
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
    name = desk.words.name
    NotifyOptions = desk.notify_options  # noqa: N806

    def view(trade: Any) -> BaseModel:
        return desk.view.model_validate(trade, from_attributes=True)

    @router.get("/trades/{out_trade_no}", response_model=desk.view, summary=f"{name}：{desk.noun}详情")
    def read_trade(out_trade_no: str, session: DbSession) -> Any:
        return view(desk.trade(session, out_trade_no))

    def acting(action: str, summary: str, Options: type[BaseModel], act: Act) -> None:  # noqa: N803
        """`/pay` or `/cancel`: `act` on the locked trade with the options posted (or the defaults)."""

        @router.post(
            f"/trades/{{out_trade_no}}/{action}",
            response_model=desk.view,
            summary=f"{name}：{summary}",
            name=f"{action}_trade",
        )
        def act_on_trade(
            out_trade_no: str,
            session: WriteSession,
            clock: Clock,
            body: Options | None = Body(default=None),  # type: ignore[valid-type]
        ) -> Any:
            return view(_act(desk, session, out_trade_no, clock, act, body or Options()))

    acting("pay", desk.words.pay, desk.pay_options, desk.do_pay)
    acting("cancel", desk.words.cancel, desk.cancel_options, desk.do_cancel)

    @router.post(
        "/trades/{out_trade_no}/notify",
        response_model=desk.copies_sent,
        summary=f"{name}：{desk.words.notify}",
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
        return desk.resend(session, out_trade_no, trade, body, clock.now())

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
    except Refusal as refused:
        raise Conflict(str(refused)).counted() from refused
    return trade


class EventNotifier(Notifier, Protocol):
    """The notifier of a provider whose notifications are `deliveries` events (`deliveries.Courier`)."""

    def copies_after_commit(self, session: Session, trade: Any, copies: int, delay: int) -> None: ...


def event_desk(
    words: Words, view: type[BaseModel], trades: Trades, notifier: EventNotifier, not_yet: str
) -> TradeDesk:
    """The desk of a provider whose notifications are `deliveries` events (WeChat Pay, UnionPay): the
    default options, and `resend_event` (`not_yet`: its refusal of a trade with no event yet)."""
    return TradeDesk(words, view, trades, notifier, resend_event(not_yet, notifier))


def resend_event(
    not_yet: str, notifier: EventNotifier
) -> Callable[[Session, str, Any, NotifyCopies, datetime], CopiesSent]:
    """`TradeDesk.resend` of a provider whose notifications are `deliveries` events (WeChat Pay,
    UnionPay): copies now, or later than retries or a query (out of order). `not_yet`: the refusal of a
    trade with no event yet."""

    def resend(session: Session, number: str, trade: Any, body: NotifyCopies, now: datetime) -> CopiesSent:
        event: deliveries.Notified = trade
        if event.event_id is None:
            raise Conflict(not_yet)
        if body.delay_seconds:
            deliveries.delay_copies(event, body.copies, now + timedelta(seconds=body.delay_seconds))
        notifier.copies_after_commit(session, trade, body.copies, body.delay_seconds)
        return CopiesSent(
            out_trade_no=number,
            event_id=event.event_id,
            copies=body.copies,
            delay_seconds=body.delay_seconds,
        )

    return resend
