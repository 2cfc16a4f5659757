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
from shebao.payments.models import SUCCEEDED, Payment


@dataclass(frozen=True)
class RecordFilter:
    scheme: str | None = None
    period_from: str | None = None  # YYYY-MM, inclusive: records whose fee period overlaps the range
    period_to: str | None = None


class RecordRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def records(self, whose: ColumnElement[bool], where: RecordFilter) -> list[tuple[Payment, Declaration]]:
        """The succeeded payments `whose` lets through (a `Viewer.where` over `Payment`), newest first."""
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
        query = query.order_by(Payment.succeeded_at.desc(), Payment.id.desc())
        return [(payment, declaration) for payment, declaration in self.session.execute(query).tuples()]
