"""Queries over payables."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from shebao.enrolment.terms import SCHEMES
from shebao.kit.pagination import PageRequest, asc, fetch_scalars
from shebao.payables.models import TO_DECLARE, Payable
from shebao.policy.tables import INSURANCE_TYPES
from shebao.reference.models import Agency, TaxOffice

_SCHEME_ORDER = case({scheme: index for index, scheme in enumerate(SCHEMES)}, value=Payable.scheme)
_TYPE_ORDER = case(
    {kind: index for index, kind in enumerate(INSURANCE_TYPES)}, value=Payable.insurance_type, else_=-1
)


class PayableRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_enrolments(self, enrolment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Payable]]:
        """Every payable of these enrolments, grouped by enrolment (one query per call)."""
        grouped: dict[uuid.UUID, list[Payable]] = defaultdict(list)
        if not enrolment_ids:
            return grouped
        query = select(Payable).where(Payable.enrolment_id.in_(list(enrolment_ids)))
        for payable in self.session.scalars(query):
            grouped[payable.enrolment_id].append(payable)
        return grouped

    def for_person(
        self,
        person_id: uuid.UUID,
        *,
        scheme: str | None = None,
        status: str | None = None,
        page: PageRequest | None = None,
    ) -> tuple[list[Payable], str | None]:
        """A person's payables: by scheme, then fee period, then insurance type (the guide's order),
        and the cursor of the next page (all of them, and no cursor, without `page`)."""
        query = select(Payable).where(Payable.person_id == person_id)
        if scheme:
            query = query.where(Payable.scheme == scheme)
        if status:
            query = query.where(Payable.status == status)
        order = (asc(_SCHEME_ORDER), asc(Payable.period_start), asc(_TYPE_ORDER), asc(Payable.id))
        return fetch_scalars(self.session, query, order, page)

    def to_declare(self, person_id: uuid.UUID, *, scheme: str | None = None) -> list[Payable]:
        """Every payable of the person still to declare (what a list's total to declare adds up)."""
        query = select(Payable).where(Payable.person_id == person_id, Payable.status == TO_DECLARE)
        if scheme:
            query = query.where(Payable.scheme == scheme)
        return list(self.session.scalars(query))

    def tax_offices(self, codes: set[str]) -> dict[str, TaxOffice]:
        if not codes:
            return {}
        rows = self.session.scalars(select(TaxOffice).where(TaxOffice.code.in_(sorted(codes))))
        return {row.code: row for row in rows}

    def agencies(self, codes: set[str]) -> dict[str, Agency]:
        if not codes:
            return {}
        rows = self.session.scalars(select(Agency).where(Agency.code.in_(sorted(codes))))
        return {row.code: row for row in rows}
