"""Refund notifications (WeChat Pay REFUND.*, UnionPay's 退货 notice): verified, stored in the payments'
inbox once per event (channel `<method>.refund`), then applied once, like payment notifications."""

from __future__ import annotations

from collections.abc import Mapping

from shebao.channels.base import InvalidNotification, RefundNotification, RefundState
from shebao.db import UnitOfWork
from shebao.logging import log
from shebao.payments.refunds import apply_state
from shebao.payments.repository import PaymentRepository
from shebao.refunds.errors import NoRefundProtocol
from shebao.refunds.repository import RefundRepository
from shebao.refunds.service import PROVIDER, refund_adapter
from shebao.runtime import Runtime
from shebao.settlement.notify import Answer, refused, store


def inbox_channel(method: str) -> str:
    return f"{method}.refund"


def _apply(work: UnitOfWork, method: str, note: RefundNotification) -> str:
    with work.step() as step:
        session, now = step.session, step.now
        refund = RefundRepository(session).by_out_refund_no(note.out_refund_no, for_update=True)
        if refund is None or refund.method != method:
            outcome = "unknown_refund"  # kept for operators; nothing of ours to change
        else:
            state = RefundState(
                out_refund_no=note.out_refund_no,
                status=note.status,
                amount_fen=note.amount_fen,
                provider_refund_no=note.provider_refund_no,
                refunded_at=note.refunded_at,
                failure_reason="渠道通知退款失败" if note.status == "failed" else None,
            )
            apply_state(session, refund, state, now=now, actor=PROVIDER)
            outcome = "applied"
        # A copy delivered at the same time as the first keeps the first's outcome and time.
        if not PaymentRepository(session).mark_event(
            inbox_channel(method), note.event_id, outcome=outcome, processed_at=now
        ):
            raise LookupError(f"{method} refund event {note.event_id} was stored and is gone")
        return outcome


def handle(
    runtime: Runtime, work: UnitOfWork, method: str, body: bytes, headers: Mapping[str, str]
) -> Answer:
    """A callback: verified, stored in the inbox and applied in steps of `work`, the request's unit of work
    (decision 0016)."""
    try:
        adapter = refund_adapter(method, runtime)
        note = adapter.parse_refund_notification(body, headers)
    except (InvalidNotification, NoRefundProtocol) as exc:
        log.warning("refund_notification_refused", method=method, reason=str(exc))
        return refused(method)
    ack = getattr(adapter, "ack_body", None)
    status, content_type, text = ack() if callable(ack) else (200, "text/plain", "success")
    if store(work, inbox_channel(method), note):
        _apply(work, method, note)
    return Answer(status, content_type, text)
