"""What the WeChat Pay and UnionPay sandboxes share for refunds (退款, 退货): the ledger's columns, the
rules every refund meets (only a paid trade, never more in total than was paid, one refund per refund
request id), the fault switches, the completion of refunds answered later, and the control routes that
tests and rehearsals drive (`/sandbox/{provider}/refunds/...`).

A refund is `processing` until it completes, `succeeded` or `failed`; its outcome is an event delivered
by `deliveries.py` like a payment's notification. With `later` switched on, a refund is answered
processing and completes a minute later (service clock) or when the control route says so; otherwise it
completes within the request and its notification follows at once.
"""

# No `from __future__ import annotations`: the control routes are built per provider, and FastAPI reads
# their annotations (the provider's models) as objects.

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

import httpx
from fastapi import APIRouter
from fastapi.responses import Response
from huey import crontab
from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Uuid, func, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shebao import jobs
from shebao.db import Base, UTCDateTime
from shebao.deps import Clock, DbSession, WriteSession
from shebao.errors import Conflict, NotFound
from shebao.kit.ids import new_id
from shebao.runtime import Runtime
from shebao.sandbox import deliveries
from shebao.sandbox.options import RefundFaults, RefundLedger, RefundOutcome, RefundView

PROCESSING, SUCCEEDED, FAILED = "processing", "succeeded", "failed"
LATER = timedelta(minutes=1)  # how long a refund answered "processing" takes by itself
Fault = Literal["timeout", "lost"]


class RefundEntry(deliveries.Notified):
    """A refund in a provider's ledger (a mixin of the providers' refund models), with the delivery state
    of its outcome's notification. Each provider's table has the same indexes: the deliveries due, the
    refunds due to complete, a trade's refunds."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        return (
            Index(None, "notify_state", "notify_next_at"),
            Index(None, "delayed_until"),
            Index(None, "status", "due_at"),
            Index(None, "out_trade_no"),
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)  # the merchant's refund request id
    refund_no: Mapped[str] = mapped_column(String(32), unique=True)  # the provider's refund id
    merchant: Mapped[str] = mapped_column(String(32))
    out_trade_no: Mapped[str] = mapped_column(String(32))  # the trade refunded
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # processing | succeeded | failed
    reason: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # processing: when it completes by itself
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SandboxRefundControl(Base):
    """A provider's refund switches (one row each), shared by every process of a deployment."""

    __tablename__ = "sandbox_refund_controls"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    timeouts: Mapped[int] = mapped_column(Integer, default=0)  # the next N: acted on, the answer lost
    lost: Mapped[int] = mapped_column(Integer, default=0)  # the next N: lost on the way, nothing done
    later: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _control(session: Session, provider: str) -> SandboxRefundControl | None:
    query = select(SandboxRefundControl).where(SandboxRefundControl.provider == provider)
    return session.scalars(query.with_for_update()).first()


def set_faults(session: Session, provider: str, faults: RefundFaults, now: datetime) -> RefundFaults:
    row = _control(session, provider)
    if row is None:
        row = SandboxRefundControl(provider=provider)
        session.add(row)
    row.timeouts, row.lost, row.later, row.updated_at = faults.timeouts, faults.lost, faults.later, now
    return faults


def take_fault(session: Session, provider: str) -> Fault | None:
    """The fault that meets this refund request, counted off its switch."""
    row = _control(session, provider)
    if row is None:
        return None
    if row.lost:
        row.lost -= 1
        return "lost"
    if row.timeouts:
        row.timeouts -= 1
        return "timeout"
    return None


def gateway_timeout() -> Response:
    """What a refund request meets when its answer (or the request itself) is lost: the gateway's 504."""
    return Response("gateway timeout", status_code=504, media_type="text/plain")


def answers_later(session: Session, provider: str) -> bool:
    row = session.get(SandboxRefundControl, provider)
    return bool(row and row.later)


def find(session: Session, model: Any, out_refund_no: str, *, for_update: bool = False) -> Any:
    query = select(model).where(model.out_refund_no == out_refund_no)
    return session.scalars(query.with_for_update() if for_update else query).first()


def refundable_fen(session: Session, model: Any, out_trade_no: str, paid_fen: int) -> int:
    """What is left to refund of a trade paid `paid_fen`: failed refunds gave nothing back."""
    taken = session.scalar(
        select(func.coalesce(func.sum(model.amount_fen), 0)).where(
            model.out_trade_no == out_trade_no, model.status != FAILED
        )
    )
    return paid_fen - int(taken or 0)


E = TypeVar("E", bound=RefundEntry)


def start(session: Session, entry: E, now: datetime, *, later: bool, event_id: Callable[[E], str]) -> E:
    """A new refund, stored: completed at once, or processing until `LATER` has passed."""
    entry.status, entry.created_at = PROCESSING, now
    deliveries.stored(session, entry)
    if later:
        entry.due_at = now + LATER
    else:
        complete(entry, now, succeeded=True, notify=True, event_id=event_id)
    return entry


def complete(entry: E, now: datetime, *, succeeded: bool, notify: bool, event_id: Callable[[E], str]) -> None:
    """The refund's outcome, and its notification's event (lost when `notify` is false)."""
    if entry.status != PROCESSING:
        raise Conflict("该退款已有结果，不能再次完成")
    entry.status, entry.due_at = (SUCCEEDED if succeeded else FAILED), None
    entry.refunded_at = now if succeeded else None
    deliveries.start_event(entry, event_id(entry), now, notify=notify)


@dataclass(frozen=True)
class RefundDesk:
    """One provider's refund ledger as the control routes and the completion sweep use it: its name and
    model, the event id of an outcome, and the courier that delivers outcomes."""

    provider: str
    name: str
    model: Any
    event_id: Callable[[Any], str]
    courier: deliveries.Courier

    def finish(self, session: Session, entry: Any, now: datetime, *, succeeded: bool, notify: bool) -> None:
        complete(entry, now, succeeded=succeeded, notify=notify, event_id=self.event_id)
        self.courier.deliver_after_commit(session, entry)

    def complete_due(self, runtime: Runtime, *, limit: int = 200) -> int:
        """Every processing refund whose time has come succeeds; answers how many."""
        model, now = self.model, runtime.clock.now()
        with runtime.work().read() as session:
            due = session.scalars(
                select(model.id)
                .where(model.status == PROCESSING, model.due_at <= now)
                .order_by(model.id)
                .limit(limit)
            ).all()
        done = 0
        for entry_id in due:
            with runtime.work().step() as step:
                entry = step.session.scalars(
                    select(model).where(model.id == entry_id).with_for_update()
                ).first()
                if entry is None or entry.status != PROCESSING:
                    continue
                self.finish(step.session, entry, step.now, succeeded=True, notify=True)
                done += 1
        return done

    def sweep_task(self) -> Any:
        """The worker's sweep (every minute) that completes refunds answered later."""

        def sweep() -> None:
            runtime = jobs.runtime()
            if runtime.settings.sandboxes_enabled:
                self.complete_due(runtime)

        return jobs.huey.periodic_task(crontab(minute="*"), name=f"sandbox.{self.provider}.refunds")(sweep)


class Notifications:
    """A provider whose payments and refunds both notify (WeChat Pay, UnionPay): the two couriers, one
    schedule and acknowledgement, and the refund desk whose outcomes the refund courier delivers."""

    def __init__(
        self,
        provider: str,
        name: str,
        backoff: tuple[timedelta, ...],
        acknowledged: Callable[[httpx.Response], bool],
        trades: tuple[Any, Callable[[Runtime, Any, datetime], deliveries.Outgoing]],
        refunds: tuple[Any, Callable[[Runtime, Any, datetime], deliveries.Outgoing]],
        event_id: Callable[[Any], str],
    ) -> None:
        trade_model, build = trades
        refund_model, build_refund = refunds
        self.courier = deliveries.Courier(
            deliveries.Provider(provider, trade_model, backoff, build, acknowledged)
        )
        refund_courier = deliveries.Courier(
            deliveries.Provider(f"{provider}_refund", refund_model, backoff, build_refund, acknowledged)
        )
        # Refunds answered later complete by the worker's sweep (`sandbox.{provider}.refunds`, every minute).
        self.desk = RefundDesk(provider, name, refund_model, event_id, refund_courier)
        self.refund_sweep = self.desk.sweep_task()


def refund_router(desk: RefundDesk) -> APIRouter:
    """`/refunds/faults`, `/refunds/{out_refund_no}` and its `/complete`, `/trades/{out_trade_no}/refunds`,
    under the provider's prefix."""
    router = APIRouter()

    def view(entry: Any) -> RefundView:
        return RefundView.model_validate(entry, from_attributes=True)

    def entry_of(session: Session, out_refund_no: str, *, for_update: bool = False) -> Any:
        entry = find(session, desk.model, out_refund_no, for_update=for_update)
        if entry is None:
            raise NotFound(f"{desk.name}中没有该退款")
        return entry

    @router.get(
        "/trades/{out_trade_no}/refunds", response_model=RefundLedger, summary=f"{desk.name}：订单的退款记录"
    )
    def of_trade(out_trade_no: str, session: DbSession) -> RefundLedger:
        """The trade's refunds, oldest first, and how much they gave back (failed ones gave nothing)."""
        model = desk.model
        found = session.scalars(
            select(model).where(model.out_trade_no == out_trade_no).order_by(model.created_at, model.id)
        ).all()
        items = [view(entry) for entry in found]
        refunded = sum(item.amount_fen for item in items if item.status != FAILED)
        return RefundLedger(refunded_fen=refunded, items=items)

    @router.post("/refunds/faults", response_model=RefundFaults, summary=f"{desk.name}：退款的超时与延迟开关")
    def faults(body: RefundFaults, session: WriteSession, clock: Clock) -> RefundFaults:
        """The next `timeouts` refund requests are acted on and their answer lost; the next `lost` are
        lost before they arrive; with `later`, refunds are answered processing and complete later."""
        return set_faults(session, desk.provider, body, clock.now())

    @router.get("/refunds/{out_refund_no}", response_model=RefundView, summary=f"{desk.name}：退款详情")
    def read(out_refund_no: str, session: DbSession) -> RefundView:
        return view(entry_of(session, out_refund_no))

    @router.post(
        "/refunds/{out_refund_no}/complete",
        response_model=RefundView,
        summary=f"{desk.name}：处理中的退款现在完成（成功或失败）",
    )
    def finish(out_refund_no: str, session: WriteSession, clock: Clock, body: RefundOutcome) -> RefundView:
        entry = entry_of(session, out_refund_no, for_update=True)
        desk.finish(session, entry, clock.now(), succeeded=body.succeeded, notify=body.notify)
        return view(entry)

    return router
