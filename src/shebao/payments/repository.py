"""Queries over payments, the inbox and idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shebao.db import bulk_update
from shebao.identity.access import Viewer
from shebao.payments.models import CREATED, PENDING, UNKNOWN, ChannelEvent, IdempotencyRecord, Payment


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, payment_id: uuid.UUID) -> Payment | None:
        return self.session.get(Payment, payment_id)

    def seen_by(self, viewer: Viewer, payment_id: uuid.UUID | None) -> Payment | None:
        """The payment, if the viewer may see it (identity/access.py); None is a 404 to the caller."""
        found = self.get(payment_id) if payment_id is not None else None
        return found if found is not None and viewer.may_see(found) else None

    def for_update(self, payment_id: uuid.UUID) -> Payment | None:
        """The payment, row-locked and re-read: a copy loaded earlier in this session may be stale."""
        query = select(Payment).where(Payment.id == payment_id).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def by_trade(self, method: str, out_trade_no: str, *, for_update: bool = False) -> Payment | None:
        query = select(Payment).where(Payment.method == method, Payment.out_trade_no == out_trade_no)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def of_declaration(self, declaration_id: uuid.UUID) -> list[Payment]:
        query = select(Payment).where(Payment.declaration_id == declaration_id).order_by(Payment.created_at)
        return list(self.session.scalars(query))

    def due_for_query(self, now: datetime, *, stale_before: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Payments whose outcome is open and whose next query is due (the settle job's work list), and
        open ones never scheduled (created before a crash by an older release) once `stale_before`."""
        # A batch deduction's outcome comes in the bank's result file (deductions), never from a query.
        open_ = and_(Payment.status.in_((CREATED, PENDING, UNKNOWN)), Payment.channel != "batch")
        due = Payment.next_query_at <= now
        unscheduled = and_(Payment.next_query_at.is_(None), Payment.created_at <= stale_before)
        query = (
            select(Payment.id)
            .where(open_, or_(due, unscheduled))
            .order_by(Payment.next_query_at.is_(None).desc(), Payment.next_query_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def event(self, channel: str, event_id: str) -> ChannelEvent | None:
        query = select(ChannelEvent).where(ChannelEvent.channel == channel, ChannelEvent.event_id == event_id)
        return self.session.scalars(query).first()

    def mark_event(self, channel: str, event_id: str, *, outcome: str, processed_at: datetime | None) -> bool:
        """Record how a stored event was applied; answers False when no such event is stored. An event
        already processed keeps its first outcome and time: copies delivered at once all pass `store`
        and apply (idempotently) one after another, and the later ones must not rewrite the first."""
        marked = self.session.execute(
            bulk_update(ChannelEvent)
            .where(
                ChannelEvent.channel == channel,
                ChannelEvent.event_id == event_id,
                ChannelEvent.processed_at.is_(None),
            )
            .values(outcome=outcome, processed_at=processed_at)
        )
        if marked.rowcount:  # type: ignore[attr-defined]  # an UPDATE's result counts its rows
            return True
        return self.event(channel, event_id) is not None

    def idempotency(
        self, payer_id: uuid.UUID, key: str, *, for_update: bool = False
    ) -> IdempotencyRecord | None:
        query = select(IdempotencyRecord).where(
            IdempotencyRecord.payer_id == payer_id, IdempotencyRecord.key == key
        )
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()
