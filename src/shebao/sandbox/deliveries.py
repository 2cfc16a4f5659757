"""Notification delivery for the WeChat Pay and UnionPay sandboxes: a trade's current event delivered by
the worker after commit, retried on the provider's schedule until acknowledged; copies on demand, at once
or after a delay (so they arrive out of order, after retries or after a query settled the payment).

Retries and delayed copies are sweeps against the service clock, so moving the clock forward has the
same effect as waiting. Every delivery is built when it is sent (fresh timestamp and signature, as the
providers re-sign each try). No database lock is held while a notification is in flight: the merchant's
handler needs the database too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from huey import crontab
from sqlalchemy import Integer, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shebao import jobs
from shebao.db import UnitOfWork, UTCDateTime, after_commit
from shebao.kit import http
from shebao.logging import log
from shebao.runtime import Runtime

# notify_state: none (no notify URL or no event yet) | pending (to deliver, retried on a backoff) |
# delivered (acknowledged) | lost (dropped on purpose: only a query tells) | abandoned (retries ran out).
NONE, PENDING, DELIVERED, LOST, ABANDONED = "none", "pending", "delivered", "lost", "abandoned"


class Notified:
    """The delivery state of a sandbox trade's current notification (a mixin of the trade models)."""

    notify_url: Mapped[str | None] = mapped_column(String(512))
    event_id: Mapped[str | None] = mapped_column(String(64))  # one per event, the same on its retries
    notify_state: Mapped[str] = mapped_column(String(16), default=NONE)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delayed_copies: Mapped[int] = mapped_column(Integer, default=0)  # copies waiting for delayed_until
    delayed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    """What differs between the providers: their trades, schedule, format and acknowledgement."""

    name: str
    model: Any  # a mapped class with the `Notified` columns and an `id`
    backoff: tuple[timedelta, ...]
    build: Callable[[Runtime, Any, datetime], Outgoing]
    acknowledged: Callable[[httpx.Response], bool]


N = TypeVar("N", bound=Notified)


def stored(session: Session, trade: N) -> N:
    """A new trade, stored with no event yet."""
    trade.notify_state, trade.notify_attempts, trade.delayed_copies = NONE, 0, 0
    session.add(trade)
    session.flush()
    return trade


def start_event(trade: Notified, event_id: str, now: datetime, *, notify: bool) -> None:
    """A new event: due at once, or lost when `notify` is false."""
    trade.event_id = event_id
    first_try(trade, now, notify=notify)


def first_try(trade: Any, now: datetime, *, notify: bool) -> None:
    """The delivery state of a trade's new event (Alipay's too, whose event id is its notify_id): due at
    once, lost when `notify` is false, nothing without a notify URL."""
    trade.notify_attempts = 0
    trade.notified_at = None
    if trade.notify_url is None:
        trade.notify_state, trade.notify_next_at = NONE, None
    elif notify:
        trade.notify_state, trade.notify_next_at = PENDING, now
    else:
        trade.notify_state, trade.notify_next_at = LOST, None


def attempt_due(trade: Any, now: datetime, backoff: tuple[timedelta, ...]) -> bool:
    """Whether the trade's retry is due; if so the attempt is counted up front (so two sweeps never send
    the same attempt) and the next one set by `backoff` (none after the last). Alipay's trades too."""
    if trade.notify_state != PENDING or trade.notify_next_at is None or trade.notify_next_at > now:
        return False
    trade.notify_attempts += 1
    attempts = trade.notify_attempts
    trade.notify_next_at = now + backoff[attempts - 1] if attempts <= len(backoff) else None
    return True


def answered(trade: Any, event_id: str | None, sent: str, now: datetime, *, acknowledged: bool) -> None:
    """The merchant's answer to the event `sent` of the trade whose current event is `event_id` (Alipay's
    notify_id): delivered, or abandoned once no retry is left; nothing when a newer event took over or
    the state was settled meanwhile."""
    if event_id != sent or trade.notify_state != PENDING:
        return
    if acknowledged:
        trade.notify_state, trade.notify_next_at = DELIVERED, None
        trade.notified_at = now
    elif trade.notify_next_at is None:
        trade.notify_state = ABANDONED


def delay_copies(trade: Notified, copies: int, until: datetime) -> None:
    trade.delayed_copies += copies
    trade.delayed_until = max(until, trade.delayed_until) if trade.delayed_until else until


@dataclass(frozen=True)
class _Delivery:
    trade_id: uuid.UUID
    event_id: str
    outgoing: Outgoing


def _locked(session: Session, provider: Provider, trade_id: uuid.UUID) -> Any:
    model = provider.model
    return session.scalars(select(model).where(model.id == trade_id).with_for_update()).first()


def _prepare(
    runtime: Runtime, work: UnitOfWork, provider: Provider, trade_id: uuid.UUID, *, retry: bool
) -> _Delivery | None:
    """Build the trade's notification; for a retry only when due, counting the attempt up front (so two
    sweeps never send the same attempt) and setting when the next one falls due."""
    with work.step() as step:
        session, now = step.session, step.now
        trade = _locked(session, provider, trade_id)
        if trade is None or trade.notify_url is None or trade.event_id is None:
            return None
        if retry and not attempt_due(trade, now, provider.backoff):
            return None
        return _Delivery(trade.id, trade.event_id, provider.build(runtime, trade, now))


def _send(provider: Provider, delivery: _Delivery) -> bool:
    outgoing = delivery.outgoing
    try:
        with http.client() as client:
            answer = client.post(outgoing.url, content=outgoing.body, headers=outgoing.headers)
    except httpx.HTTPError as exc:
        log.info(
            f"sandbox_{provider.name}_notify_failed", event_id=delivery.event_id, error=type(exc).__name__
        )
        return False
    acknowledged = provider.acknowledged(answer)
    log.info(f"sandbox_{provider.name}_notified", event_id=delivery.event_id, acknowledged=acknowledged)
    return acknowledged


def _record(work: UnitOfWork, provider: Provider, delivery: _Delivery, *, acknowledged: bool) -> None:
    with work.step() as step:
        trade = _locked(step.session, provider, delivery.trade_id)
        if trade is not None:
            answered(trade, trade.event_id, delivery.event_id, step.now, acknowledged=acknowledged)


def deliver(runtime: Runtime, provider: Provider, trade_id: uuid.UUID) -> bool | None:
    """Send the trade's notification if due: True acknowledged, False not, None nothing was due."""
    work = runtime.work()
    delivery = _prepare(runtime, work, provider, trade_id, retry=True)
    if delivery is None:
        return None
    with work.between():
        acknowledged = _send(provider, delivery)
    _record(work, provider, delivery, acknowledged=acknowledged)
    return acknowledged


def send_copies(runtime: Runtime, provider: Provider, trade_id: uuid.UUID, copies: int) -> int:
    """The current notification `copies` more times, at once and in parallel; answers how many were
    acknowledged. Copies change nothing in the delivery state."""
    work = runtime.work()
    delivery = _prepare(runtime, work, provider, trade_id, retry=False)
    if delivery is None or copies <= 0:
        return 0
    with (
        work.between(),
        ThreadPoolExecutor(max_workers=min(copies, 16), thread_name_prefix=f"{provider.name}-notify") as pool,
    ):
        return sum(pool.map(lambda d: _send(provider, d), [delivery] * copies))


def _take_delayed(runtime: Runtime, provider: Provider, trade_id: uuid.UUID) -> int:
    with runtime.work().step() as step:
        now = step.now
        trade = _locked(step.session, provider, trade_id)
        if (
            trade is None
            or not trade.delayed_copies
            or trade.delayed_until is None
            or trade.delayed_until > now
        ):
            return 0
        copies, trade.delayed_copies, trade.delayed_until = trade.delayed_copies, 0, None
        return int(copies)


def deliver_due(runtime: Runtime, provider: Provider, *, limit: int = 200) -> int:
    """Every retry and every delayed copy due by the service clock, once; answers how many trades sent."""
    model, now = provider.model, runtime.clock.now()
    with runtime.work().read() as session:
        due = session.scalars(
            select(model.id)
            .where(
                or_(
                    (model.notify_state == PENDING) & (model.notify_next_at <= now),
                    model.delayed_until <= now,
                )
            )
            .order_by(model.id)
            .limit(limit)
        ).all()
    sent = 0
    for trade_id in due:
        retried = deliver(runtime, provider, trade_id)
        copies = _take_delayed(runtime, provider, trade_id)
        if copies:
            send_copies(runtime, provider, trade_id, copies)
        sent += retried is not None or copies > 0
    return sent


class Courier:
    """A provider's delivery jobs on the queue, named `sandbox.{name}.deliver`, `.copies` and `.retry`
    (the sweep, every minute, and woken early for delayed copies)."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        prefix = f"sandbox.{provider.name}"
        self.deliver_task = jobs.huey.task(name=f"{prefix}.deliver")(self._deliver)
        self.copies_task = jobs.huey.task(name=f"{prefix}.copies")(self._copies)
        self.retry_task = jobs.huey.periodic_task(crontab(minute="*"), name=f"{prefix}.retry")(self._retry)

    def deliver_due(self, runtime: Runtime) -> int:
        return deliver_due(runtime, self.provider)

    def deliver_after_commit(self, session: Session, trade: Any) -> None:
        """Queue the first delivery of the trade's new event once the event is committed."""
        if trade.notify_state == PENDING:
            trade_id = str(trade.id)
            after_commit(session, lambda: self.deliver_task(trade_id))

    def copies_after_commit(self, session: Session, trade: Any, copies: int, delay: int) -> None:
        """Copies now, or after `delay` seconds of the service clock (the sweep sends them; a timer wakes
        it)."""
        trade_id = str(trade.id)
        if delay:
            after_commit(session, lambda: self.retry_task.schedule(delay=delay))
        else:
            after_commit(session, lambda: self.copies_task(trade_id, copies))

    def _deliver(self, trade_id: str) -> None:
        deliver(jobs.runtime(), self.provider, uuid.UUID(trade_id))

    def _copies(self, trade_id: str, copies: int) -> None:
        send_copies(jobs.runtime(), self.provider, uuid.UUID(trade_id), copies)

    def _retry(self) -> None:
        runtime = jobs.runtime()
        if runtime.settings.sandboxes_enabled:
            deliver_due(runtime, self.provider)
