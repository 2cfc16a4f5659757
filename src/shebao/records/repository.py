"""The records query: succeeded payments joined to their declarations.

Indexed for ten million payments (docs/performance.md): the two access paths are the insured person
(`ix_payments_person_id_status_succeeded_at`) and the payer who paid
(`ix_payments_payer_id_status_succeeded_at`), each read newest first; scheme and fee-period
filters apply to the few rows of one person.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from shebao.declarations.models import Declaration
from shebao.kit.pagination import PageRequest, desc, fetch_rows
from shebao.payments.models import SUCCEEDED, Payment


@dataclass(frozen=True)
class RecordFilter:
    scheme: str | None = None
    period_from: str | None = None  # YYYY-MM, inclusive: records whose fee period overlaps the range
    period_to: str | None = None


class RecordRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def records(
        self, whose: ColumnElement[bool], where: RecordFilter, page: PageRequest | None = None
    ) -> tuple[list[tuple[Payment, Declaration]], str | None]:
        """The succeeded payments `whose` lets through (a `Viewer.where` over `Payment`), newest first,
        and the cursor of the next page (all of them, and no cursor, without `page`)."""
        query = (
            select(Payment, Declaration)
            .join(Declaration, Declaration.id == Payment.declaration_id)
            .where(whose, Payment.status == SUCCEEDED)
        )
        if where.scheme:
            query = query.where(Declaration.scheme == where.scheme)
        if where.period_from:
            query = query.where(Declaration.period_end >= where.period_from)
        if where.period_to:
            query = query.where(Declaration.period_start <= where.period_to)
        order = (desc(Payment.succeeded_at), desc(Payment.id))
        rows, next_cursor = fetch_rows(self.session, query, order, page)
        return [(payment, declaration) for payment, declaration in rows], next_cursor
