"""Provider notifications: verified, stored in the inbox (once per event), then applied once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from shebao.channels.base import ChannelNotification, InvalidNotification, RefundNotification
from shebao.db import UnitOfWork
from shebao.logging import log
from shebao.payments.models import CLOSED, ChannelEvent
from shebao.payments.registry import adapter_for
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from shebao.settlement.settle import apply_end, apply_success


@dataclass(frozen=True)
class Answer:
    status_code: int
    content_type: str
    body: str


REFUSED = Answer(400, "text/plain", "invalid notification")
# WeChat Pay API v3 reads a refusal as 4XX/5XX with `{"code": "FAIL", "message": …}`; Alipay and UnionPay
# read anything but their acknowledgement as "not received" and send again.
REFUSALS = {"wechat": Answer(400, "application/json", '{"code":"FAIL","message":"invalid notification"}')}


def refused(method: str) -> Answer:
    return REFUSALS.get(method, REFUSED)


def store(work: UnitOfWork, channel: str, note: ChannelNotification | RefundNotification) -> bool:
    """Store the event in the inbox under `channel` (a payment's method, a refund's `<method>.refund`);
    answers False when it was already stored and applied."""
    with work.read() as session:
        existing = PaymentRepository(session).event(channel, note.event_id)
        if existing is not None:
            return existing.processed_at is None
    try:
        with work.step() as step:
            step.session.add(
                ChannelEvent(
                    channel=channel,
                    event_id=note.event_id,
                    out_trade_no=note.out_trade_no,
                    payload=note.raw,
                    received_at=step.now,
                )
            )
    except IntegrityError:
        pass  # the same event, delivered twice at once: the other delivery stored it; applying is idempotent
    return True


def _apply(work: UnitOfWork, method: str, note: ChannelNotification) -> str:
    with work.step() as step:
        session, now = step.session, step.now
        repository = PaymentRepository(session)
        payment = repository.by_trade(method, note.out_trade_no)
        processed_at: datetime | None = now
        if payment is None:
            outcome = "unknown_trade"  # kept for operators; nothing of ours to change
        elif note.amount_fen != payment.amount_fen:
            log.error("notification_amount_mismatch", payment=str(payment.id), amount=note.amount_fen)
            outcome, processed_at = "amount_mismatch", None  # not processed: refused, sent again
        elif note.status == "succeeded":
            apply_success(
                session, payment, provider_trade_no=note.provider_trade_no, paid_at=note.paid_at, now=now
            )
            outcome = "applied"
        elif note.status == "closed":
            apply_end(session, payment, CLOSED, now=now)
            outcome = "applied"
        else:
            outcome = "ignored"
        # The stored event's outcome, written without reading it back (one statement, in this step).
        if not repository.mark_event(method, note.event_id, outcome=outcome, processed_at=processed_at):
            raise LookupError(f"{method} event {note.event_id} was stored and is gone")
        return outcome


def handle(
    runtime: Runtime, work: UnitOfWork, method: str, body: bytes, headers: Mapping[str, str]
) -> Answer:
    """A callback: verified, stored in the inbox and applied in steps of `work`, the request's unit of work
    (decision 0016)."""
    adapter = adapter_for(method, runtime)
    try:
        note = adapter.parse_notification(body, headers)
    except InvalidNotification as exc:
        log.warning("notification_refused", method=method, reason=exc.reason)
        return refused(method)
    status, content_type, ack = adapter.ack_body()
    if store(work, method, note) and _apply(work, method, note) == "amount_mismatch":
        return refused(method)
    return Answer(status, content_type, ack)
