"""Queries over refunds."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from shebao.kit.pagination import PageRequest, desc, fetch_scalars
from shebao.payments.refunds import SENDING, Refund


class RefundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, refund_id: uuid.UUID) -> Refund | None:
        return self.session.get(Refund, refund_id)

    def for_update(self, refund_id: uuid.UUID) -> Refund | None:
        """The refund, row-locked and re-read: two approvers never both see it `proposed`."""
        query = select(Refund).where(Refund.id == refund_id).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def by_out_refund_no(self, out_refund_no: str, *, for_update: bool = False) -> Refund | None:
        query = select(Refund).where(Refund.out_refund_no == out_refund_no)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def of_payment(self, payment_id: uuid.UUID) -> Refund | None:
        return self.session.scalars(select(Refund).where(Refund.payment_id == payment_id)).first()

    def page(
        self,
        page: PageRequest | None,
        *,
        status: str | None = None,
        offices: ColumnElement[bool] | None = None,
    ) -> tuple[list[Refund], str | None]:
        """Newest first; `offices` narrows to the tax offices an operator sees (Staff.office_filter)."""
        query = select(Refund).where(offices if offices is not None else true())
        if status is not None:
            query = query.where(Refund.status == status)
        return fetch_scalars(self.session, query, (desc(Refund.created_at), desc(Refund.id)), page)

    def due(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Refunds sent whose outcome is still open and whose next try is due (the worker's list)."""
        query = (
            select(Refund.id)
            .where(Refund.status == SENDING, Refund.next_try_at <= now)
            .order_by(Refund.next_try_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))
