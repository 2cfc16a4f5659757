"""Queries over enrolments, agency keys, and the persons an import looks up in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from shebao.enrolment.models import AgencyKey, Enrolment
from shebao.enrolment.terms import FLEXIBLE_EMPLOYMENT
from shebao.identity.models import Person


class EnrolmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def persons_by_document_index(self, indexes: Iterable[str]) -> dict[str, Person]:
        """The persons of these document blind indexes, in one query (an import looks up a chunk)."""
        wanted = sorted(set(indexes))
        if not wanted:
            return {}
        rows = self.session.scalars(select(Person).where(self._among(Person.document_index, wanted)))
        return {person.document_index: person for person in rows}

    def for_persons(self, person_ids: Iterable[uuid.UUID]) -> dict[tuple[uuid.UUID, str], Enrolment]:
        """The enrolments of these persons, by (person, scheme), in one query."""
        wanted = list(set(person_ids))
        if not wanted:
            return {}
        rows = self.session.scalars(select(Enrolment).where(self._among(Enrolment.person_id, wanted)))
        return {(row.person_id, row.scheme): row for row in rows}

    def _among(self, column: InstrumentedAttribute[Any], values: list[Any]) -> ColumnElement[bool]:
        """`column IN values`. On PostgreSQL one array parameter: a chunk's thousand values are one
        bind and one plan, not a thousand parameters to parse and plan on every chunk."""
        if self.session.get_bind().dialect.name != "postgresql":
            return column.in_(values)
        item_type = column.type
        return column == any_(bindparam(None, values, type_=ARRAY(item_type)))

    def of_person(self, person_id: uuid.UUID) -> list[Enrolment]:
        query = select(Enrolment).where(Enrolment.person_id == person_id).order_by(Enrolment.scheme)
        return list(self.session.scalars(query))

    def behind(self, scheme: str, target: str, *, after: uuid.UUID | None, limit: int) -> Sequence[Enrolment]:
        """Enrolments of a scheme whose payables may lag behind fee period `target`, by id from `after`."""
        through = Enrolment.payables_through
        query = select(Enrolment).where(Enrolment.scheme == scheme, or_(through.is_(None), through < target))
        if scheme == FLEXIBLE_EMPLOYMENT:
            query = query.where(
                Enrolment.period_start <= target,
                or_(Enrolment.period_end.is_(None), through.is_(None), through < Enrolment.period_end),
            )
        if after is not None:
            query = query.where(Enrolment.id > after)
        return self.session.scalars(query.order_by(Enrolment.id).limit(limit)).all()


class AgencyKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def live_by_hash(self, key_hash: str) -> AgencyKey | None:
        query = select(AgencyKey).where(AgencyKey.key_hash == key_hash, AgencyKey.revoked_at.is_(None))
        return self.session.scalars(query).first()

    def of_agency(self, agency_code: str) -> list[AgencyKey]:
        query = select(AgencyKey).where(AgencyKey.agency_code == agency_code).order_by(AgencyKey.created_at)
        return list(self.session.scalars(query))
