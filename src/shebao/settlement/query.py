"""Settle open payments by asking the provider: the job behind missed notifications, timeouts and expiry."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from shebao.channels.base import ChannelError, ChannelTimeout, TradeState
from shebao.db import UnitOfWork
from shebao.logging import log
from shebao.payments.models import CLOSED, CREATED, FAILED, SUCCEEDED, UNKNOWN, Payment
from shebao.payments.registry import adapter_for, answers_at_once
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from shebao.settlement import lock
from shebao.settlement.settle import apply_end, apply_success

# Seconds to the next query after each attempt: quick at first, then every half hour.
BACKOFF = (15, 30, 60, 120, 300, 600, 1800)
# A real-time call (a bank deduction) is surely over by then (HTTP timeouts are 10 s): only after this
# may anything else ask the provider about it, so a query never races the deduction it asks about.
IN_FLIGHT = timedelta(seconds=60)


def next_query_at(now: datetime, attempts: int) -> datetime:
    return now + timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF) - 1)])


def _reload(work: UnitOfWork, payment_id: uuid.UUID) -> Payment | None:
    with work.read() as session:
        return PaymentRepository(session).get(payment_id)


def record_state(
    runtime: Runtime, payment: Payment, state: TradeState, work: UnitOfWork | None = None
) -> Payment:
    """Apply what a query answered. A different amount is never applied: it waits for an operator."""
    with (work or runtime.work()).step() as step:
        session, now = step.session, step.now
        current = lock.payment(session, payment.id)
        if state.status == "succeeded":
            if state.amount_fen is not None and state.amount_fen != current.amount_fen:
                log.error("payment_amount_mismatch", payment=str(current.id), provider=state.amount_fen)
                return current
            return apply_success(
                session, current, provider_trade_no=state.provider_trade_no, paid_at=state.paid_at, now=now
            )
        if state.status in ("closed", "not_found"):
            return apply_end(session, current, CLOSED, now=now)
        if state.status == "failed":
            return apply_end(session, current, FAILED, now=now, reason=state.failure_reason)
        return current


def _schedule(work: UnitOfWork, payment_id: uuid.UUID) -> None:
    with work.step() as step:
        session, now = step.session, step.now
        payment = PaymentRepository(session).for_update(payment_id)
        if payment is None or payment.status in (SUCCEEDED, CLOSED, FAILED):
            return
        payment.query_attempts += 1
        payment.next_query_at = next_query_at(now, payment.query_attempts)


def close_at_provider(runtime: Runtime, payment: Payment, work: UnitOfWork | None = None) -> Payment:
    """Close a payment at its provider; an unconfirmed close leaves it `close_pending` (缴费结果确认中)."""
    work = work or runtime.work()
    adapter = adapter_for(payment.method, runtime)
    try:
        with work.between():
            confirmed = adapter.close(payment.out_trade_no)
    except (ChannelTimeout, ChannelError):
        confirmed = False
    if not confirmed:
        # The provider would not close it: perhaps it was just paid. Its state decides.
        try:
            with work.between():
                state: TradeState | None = adapter.query(payment.out_trade_no)
        except (ChannelTimeout, ChannelError):
            state = None
        if state is not None and state.status != "pending":
            return record_state(runtime, payment, state, work)
        with work.step() as step:
            session, now = step.session, step.now
            _, current = lock.lock_payment(session, payment.id)
            if current.is_open or current.status == UNKNOWN:
                current.close_pending = True
                current.next_query_at = now
            return current
    with work.step() as step:
        current = lock.payment(step.session, payment.id)
        return apply_end(step.session, current, CLOSED, now=step.now)


def close_open(runtime: Runtime, declaration_id: uuid.UUID, work: UnitOfWork | None = None) -> list[Payment]:
    """Close every open payment of a declaration at its provider (before a new payment or a void)."""
    work = work or runtime.work()
    with work.read() as session:
        payments = [
            p
            for p in PaymentRepository(session).of_declaration(declaration_id)
            if (p.is_open or p.close_pending) and not (p.is_open and answers_at_once(p.method))
        ]  # a real-time call in flight cannot be closed: its own request settles it
    return [close_at_provider(runtime, payment, work) for payment in payments]


def settle_one(runtime: Runtime, payment_id: uuid.UUID, work: UnitOfWork | None = None) -> Payment | None:
    work = work or runtime.work()
    payment = _reload(work, payment_id)
    if payment is None or payment.status in (SUCCEEDED, CLOSED, FAILED):
        return payment
    if in_flight(payment, runtime.clock.now()):
        return payment
    adapter = adapter_for(payment.method, runtime)
    try:
        with work.between():
            state = adapter.query(payment.out_trade_no)
    except (ChannelTimeout, ChannelError):
        _schedule(work, payment_id)
        return _reload(work, payment_id)
    if state.status != "pending":
        return record_state(runtime, payment, state, work)
    if runtime.clock.now() >= payment.expires_at or payment.close_pending:
        return close_at_provider(runtime, payment, work)
    _schedule(work, payment_id)
    return _reload(work, payment_id)


def in_flight(payment: Payment, now: datetime) -> bool:
    """A provider call (or a real-time call's timed-out answer) that a query must not overtake: the
    payment was committed `created` just before its provider call, which may still be running."""
    due = payment.next_query_at
    if due is None or now >= due:
        return False
    return payment.status == CREATED or (answers_at_once(payment.method) and payment.status == UNKNOWN)


def settle_due(runtime: Runtime) -> int:
    """The periodic job: query every open payment whose next query is due (expired ones get closed)."""
    now = runtime.clock.now()
    with runtime.work().read() as session:
        due = PaymentRepository(session).due_for_query(now, stale_before=now - IN_FLIGHT)
    for payment_id in due:
        try:
            settle_one(runtime, payment_id)
        except Exception:  # one bad payment must not stop the others; it is retried next round
            log.exception("payment_settle_failed", payment=str(payment_id))
    return len(due)
