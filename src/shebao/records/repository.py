"""The records query: succeeded payments joined to their declarations.

Indexed for ten million payments (docs/performance.md): the two access paths are the insured person
(`ix_payments_person_id_status_succeeded_at`) and the payer who paid
(`ix_payments_payer_id_status_succeeded_at`), each read newest first; scheme and fee-period
filters apply to the few rows of one person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
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

    def records(
        self, viewer_id: uuid.UUID, *, person_id: uuid.UUID | None, consent: bool, where: RecordFilter
    ) -> list[tuple[Payment, Declaration]]:
        """Without `person_id`: the viewer's own fees (whoever paid) and what the viewer paid for others.
        With a family member's `person_id`: what the viewer paid for them; all of theirs with consent."""
        if person_id is None:
            whose = or_(Payment.person_id == viewer_id, Payment.payer_id == viewer_id)
        elif consent:
            whose = Payment.person_id == person_id
        else:
            whose = and_(Payment.person_id == person_id, Payment.payer_id == viewer_id)
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
