"""Propose, approve (maker-checker) and send refunds; settle what the provider answered.

A refund is sent outside any transaction (decision 0002): the approval commits `sending` first, the
provider is called between steps, and its answer is applied in a step of its own. A timeout leaves the
refund `sending` with a next try; the worker (`retry_due`) sends it again under the SAME refund request
id, which the provider deduplicates, or queries it once the provider has accepted it: never twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session

from shebao.audit.service import Actor
from shebao.channels.base import (
    ChannelDeclined,
    ChannelError,
    ChannelRefund,
    ChannelTimeout,
    RefundingAdapter,
    RefundState,
)
from shebao.db import UnitOfWork
from shebao.kit.money import format_yuan
from shebao.logging import log
from shebao.payments.models import Payment
from shebao.payments.refunds import (
    FAILED,
    PENDING,
    PROPOSED,
    SENDING,
    Refund,
    apply_state,
    move,
    new_out_refund_no,
)
from shebao.payments.registry import adapter_for
from shebao.payments.repository import PaymentRepository
from shebao.refunds.errors import (
    NoRefundProtocol,
    ProposerCannotApprove,
    RefundConflict,
    RefundInvalid,
    RefundNotFound,
)
from shebao.refunds.repository import RefundRepository
from shebao.runtime import Runtime

PROVIDER = Actor("provider")
WORKER = Actor("system", "refunds.retry")
# Seconds to the next try after each unanswered one: soon at first, then every hour.
BACKOFF = (60, 120, 300, 600, 1800, 3600)
# The approval's own send is surely over by then (HTTP timeouts are 10 s): the worker never overtakes it.
IN_FLIGHT = timedelta(seconds=60)
UNKNOWN_ANSWER = "unknown"  # answer["status"] after a timeout: send again (same id) rather than query

Sees = Callable[[str | None], bool]  # Staff.sees_office: may this operator see a tax office's objects


def _visible(session: Session, refund_id: uuid.UUID, sees: Sees) -> Refund:
    refund = RefundRepository(session).for_update(refund_id)
    if refund is None or not sees(refund.tax_office_code):
        raise RefundNotFound()  # another tax office's refund is as absent as one that never was
    return refund


def refund_adapter(method: str, runtime: Runtime) -> RefundingAdapter:
    """The original channel's refund protocol; a payment made elsewhere (counter, bank) has none here."""
    if method == "elsewhere":
        raise NoRefundProtocol("柜台或银行缴款的退费请在办税服务厅线下办理，不能经本系统退回")
    try:
        adapter = adapter_for(method, runtime)
    except KeyError as exc:
        raise NoRefundProtocol(f"支付方式 {method} 没有退费协议") from exc
    if not callable(getattr(adapter, "refund", None)):
        raise NoRefundProtocol(f"{method} 渠道的退费协议尚未接入，暂不能审核退费")
    return cast(RefundingAdapter, adapter)


def propose(
    session: Session,
    refund_id: uuid.UUID,
    *,
    reason: str,
    amount_fen: int | None,
    actor: Actor,
    sees: Sees,
    now: datetime,
) -> Refund:
    """An operator proposes the refund with a reason (and an amount, at most the payment's)."""
    reason = reason.strip()
    if not reason:
        raise RefundInvalid("请填写退费原因", fields={"reason": "退费原因不能为空"})
    refund = _visible(session, refund_id, sees)
    if refund.status not in (PENDING, FAILED):
        raise RefundConflict(f"该退费当前为「{refund.status_label}」，不能再次提出")
    payment = PaymentRepository(session).get(refund.payment_id)
    if payment is None:
        raise RefundNotFound()
    amount = refund.amount_fen if amount_fen is None else amount_fen
    if not 0 < amount <= payment.amount_fen:
        raise RefundInvalid(
            f"退费金额应大于0且不超过原缴款金额 {format_yuan(payment.amount_fen)}",
            fields={"amount_fen": "退费金额超出原缴款金额"},
        )
    if refund.status == FAILED:
        refund.out_refund_no = new_out_refund_no()  # the refused request id is spent at the provider
    refund.amount_fen, refund.reason = amount, reason
    refund.proposed_by, refund.proposed_at = actor.id, now
    refund.approved_by = refund.approved_at = refund.failure_reason = None
    move(refund, PROPOSED, actor=actor, session=session, now=now, reason=reason, amount_fen=amount)
    return refund


def _approve_step(
    session: Session, refund_id: uuid.UUID, *, actor: Actor, sees: Sees, runtime: Runtime, now: datetime
) -> Refund:
    refund = _visible(session, refund_id, sees)
    if refund.status != PROPOSED:
        if refund.status == PENDING:
            raise RefundConflict("该退费尚未提出，请先由经办人填写原因提出")
        raise RefundConflict(f"该退费已审核（当前为「{refund.status_label}」），不能重复审核")
    if refund.proposed_by == actor.id:
        raise ProposerCannotApprove()
    refund_adapter(refund.method, runtime)  # refused before anything changes
    refund.approved_by, refund.approved_at = actor.id, now
    refund.send_attempts += 1
    refund.next_try_at = now + IN_FLIGHT  # the send below is in flight until then
    move(refund, SENDING, actor=actor, session=session, now=now, out_refund_no=refund.out_refund_no)
    return refund


def approve(
    runtime: Runtime, refund_id: uuid.UUID, *, actor: Actor, sees: Sees, work: UnitOfWork | None = None
) -> Refund:
    """Another person, approver or admin, approves: the refund is committed `sending`, then sent."""
    work = work or runtime.work()
    with work.step() as step:
        _approve_step(step.session, refund_id, actor=actor, sees=sees, runtime=runtime, now=step.now)
    return send(runtime, refund_id, work)


def _channel_refund(runtime: Runtime, refund: Refund, payment: Payment) -> ChannelRefund:
    base = runtime.settings.base_url.rstrip("/")
    return ChannelRefund(
        out_refund_no=refund.out_refund_no,
        out_trade_no=payment.out_trade_no,
        provider_trade_no=payment.provider_trade_no,
        amount_fen=refund.amount_fen,
        total_fen=payment.amount_fen,
        reason=refund.reason or "重复缴费退费",
        notify_url=f"{base}/api/v1/channels/{refund.method}/refund-notify",
        paid_at=payment.succeeded_at,
    )


def send(runtime: Runtime, refund_id: uuid.UUID, work: UnitOfWork | None = None) -> Refund:
    """Send (or send again, same request id) a `sending` refund; query it once the provider accepted it."""
    work = work or runtime.work()
    with work.read() as session:
        refund = RefundRepository(session).get(refund_id)
        payment = PaymentRepository(session).get(refund.payment_id) if refund else None
    if refund is None or payment is None:
        raise RefundNotFound()
    if refund.status != SENDING:
        return refund
    adapter = refund_adapter(refund.method, runtime)
    accepted = (refund.answer or {}).get("status") == "pending"
    try:
        with work.between():
            if accepted:
                state = adapter.query_refund(refund.out_refund_no, payment.out_trade_no)
            else:
                state = adapter.refund(_channel_refund(runtime, refund, payment))
    except ChannelDeclined as declined:
        state = RefundState(refund.out_refund_no, "failed", None, None, None, declined.reason)
    except (ChannelTimeout, ChannelError) as exc:
        log.warning("refund_unanswered", refund=str(refund_id), reason=str(exc))
        return _unanswered(work, refund_id)
    return record_state(work, refund_id, state)


def _unanswered(work: UnitOfWork, refund_id: uuid.UUID) -> Refund:
    """No answer (or none to trust): still `sending`, tried again later under the same request id."""
    with work.step() as step:
        refund = RefundRepository(step.session).for_update(refund_id)
        if refund is None:
            raise RefundNotFound()
        if refund.status == SENDING:
            attempts = refund.send_attempts
            refund.next_try_at = step.now + timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])
            refund.answer = {
                **(refund.answer or {}),
                "status": (refund.answer or {}).get("status", UNKNOWN_ANSWER),
            }
            refund.updated_at = step.now
        return refund


def record_state(
    work: UnitOfWork, refund_id: uuid.UUID, state: RefundState, *, actor: Actor = PROVIDER
) -> Refund:
    with work.step() as step:
        refund = RefundRepository(step.session).for_update(refund_id)
        if refund is None:
            raise RefundNotFound()
        apply_state(step.session, refund, state, now=step.now, actor=actor)
        return refund


def retry_due(runtime: Runtime) -> int:
    """The periodic job: every `sending` refund whose next try is due is sent again or queried."""
    with runtime.work().read() as session:
        due = RefundRepository(session).due(runtime.clock.now())
    for refund_id in due:
        try:
            _retry(runtime, refund_id)
        except Exception:  # one bad refund must not stop the others; it is tried next round
            log.exception("refund_retry_failed", refund=str(refund_id))
    return len(due)


def _retry(runtime: Runtime, refund_id: uuid.UUID) -> None:
    work = runtime.work()
    with work.step() as step:
        refund = RefundRepository(step.session).for_update(refund_id)
        if refund is None or refund.status != SENDING:
            return
        if refund.next_try_at is None or refund.next_try_at > step.now:
            return  # another worker took it first
        refund.send_attempts += 1
        refund.next_try_at = step.now + IN_FLIGHT
    send(runtime, refund_id, work)
