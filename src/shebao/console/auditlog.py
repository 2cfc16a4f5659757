"""Audit search (审计日志): the audit log filtered by operator, payer, action, object and time, newest first,
within the tax offices an operator may see.

Which office an audit row belongs to (docs/decisions/0019): the office of its object. A person belongs to
the offices they are a payer of (console/dossier.payer_of); an enrolment, declaration, agreement,
contribution setting or certificate to its own office; a payment to its declaration's; a family link or
consent to the offices of either person; a console action (actor_type "operator") also to the office
of the operator who did it. Rows about anything else (statement runs,
agency keys, login sessions, what no office owns) are seen by an admin of all offices only. A domain
with audit rows of its own kind registers how its objects map to an office with `register_office_of`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, func, or_, select, true
from sqlalchemy.orm import Session

from shebao.agreements.models import Agreement
from shebao.audit.models import AuditEntry
from shebao.certificates.models import Certificate
from shebao.console.dossier import SEARCH_OBJECT, DossierRepository, about, indexes_of, payer_of, search_index
from shebao.console.models import Operator
from shebao.console.scope import OfficeScope
from shebao.declarations.models import Declaration
from shebao.deductions.models import ContributionSetting
from shebao.enrolment.models import Enrolment
from shebao.identity.models import Consent, FamilyMember, Person
from shebao.kit.clock import start_of_local_day
from shebao.kit.pagination import Key, PageRequest, desc, fetch_scalars
from shebao.payments.models import Payment

# object_type → the ids (a select of one uuid column) of such objects in the scope's offices.
OfficeOf = Callable[[OfficeScope], Select[Any]]
_OFFICE_OF: dict[str, OfficeOf] = {}


def register_office_of(object_type: str, office_of: OfficeOf) -> None:
    _OFFICE_OF[object_type] = office_of


def _persons(scope: OfficeScope) -> Select[Any]:
    return select(Person.id).where(payer_of(scope))


register_office_of("person", _persons)
register_office_of(
    "enrolment", lambda s: select(Enrolment.id).where(s.office_filter(Enrolment.tax_office_code))
)
register_office_of(
    "declaration", lambda s: select(Declaration.id).where(s.office_filter(Declaration.tax_office_code))
)
register_office_of(
    "payment",
    lambda s: (
        select(Payment.id)
        .join(Declaration, Declaration.id == Payment.declaration_id)
        .where(s.office_filter(Declaration.tax_office_code))
    ),
)
register_office_of(
    "agreement", lambda s: select(Agreement.id).where(s.office_filter(Agreement.tax_office_code))
)
register_office_of(
    "contribution_setting",
    lambda s: select(ContributionSetting.id).where(s.office_filter(ContributionSetting.tax_office_code)),
)
register_office_of(
    "certificate", lambda s: select(Certificate.id).where(s.office_filter(Certificate.tax_office_code))
)
register_office_of(
    "family_member",
    lambda s: select(FamilyMember.id).where(
        or_(FamilyMember.payer_id.in_(_persons(s)), FamilyMember.member_id.in_(_persons(s)))
    ),
)
register_office_of(
    "consent",
    lambda s: select(Consent.id).where(
        or_(Consent.payer_id.in_(_persons(s)), Consent.member_id.in_(_persons(s)))
    ),
)


@dataclass(frozen=True)
class AuditFilter:
    operator: str | None = None  # the actor's id (an operator's username)
    id_number: str | None = None  # normalised; the payer through the blind index
    person_id: uuid.UUID | None = None  # the payer by their id (a payer's page links here)
    action: str | None = None
    object_type: str | None = None
    since: date | None = None  # inclusive, Asia/Shanghai
    until: date | None = None  # inclusive, Asia/Shanghai


def _as_logged(session: Session, ids: Select[Any]) -> tuple[ColumnElement[Any], Select[Any]]:
    """The audit row's object id and a select of ids, written alike: the log has `str(uuid)` (with dashes);
    PostgreSQL casts a uuid to that text, SQLite keeps a uuid as 32 hex digits."""
    if session.get_bind().dialect.name == "postgresql":
        column = ids.selected_columns[0]
        return AuditEntry.object_id.expression, ids.with_only_columns(cast(column, String))
    return func.replace(AuditEntry.object_id, "-", ""), ids


def in_offices(session: Session, scope: OfficeScope) -> ColumnElement[bool]:
    """Audit rows of the scope's offices (module docstring); everything for an admin of all offices."""
    if scope.sees_office(None):
        return true()
    branches = []
    for object_type, office_of in sorted(_OFFICE_OF.items()):
        object_id, ids = _as_logged(session, office_of(scope))
        branches.append(and_(AuditEntry.object_type == object_type, object_id.in_(ids)))
    colleagues = select(Operator.username).where(scope.office_filter(Operator.tax_office_code))
    branches.append(and_(AuditEntry.actor_type == "operator", AuditEntry.actor_id.in_(colleagues)))
    return or_(*branches)


def _about_payer(session: Session, id_number: str | None, person_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Rows about the persons with this document number (any type) and searches for the number; or
    about the person of this id."""
    dossiers = DossierRepository(session, _Everyone())
    query = select(Person)
    branches = []
    if id_number is not None:
        query = query.where(Person.document_index.in_(list(indexes_of(id_number))))
        branches.append(
            and_(AuditEntry.object_type == SEARCH_OBJECT, AuditEntry.object_id == search_index(id_number))
        )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    for person in session.scalars(query):
        branches.append(about(dossiers.subjects(dossiers.objects(person))))
    return or_(*branches) if branches else false()


class _Everyone:
    """The scope of every office: a payer's whole trail is found, then cut to the operator's offices."""

    def sees_office(self, code: str | None) -> bool:
        return True

    def office_filter(self, column: Any) -> ColumnElement[bool]:
        return true()


ORDER: list[Key] = [desc(AuditEntry.occurred_at), desc(AuditEntry.id)]


def search(
    session: Session, scope: OfficeScope, wanted: AuditFilter, page: PageRequest | None
) -> tuple[list[AuditEntry], str | None]:
    """One page of the rows `wanted` asks for, newest first (all of them when `page` is None)."""
    conditions = [in_offices(session, scope)]
    if wanted.operator:
        conditions.append(AuditEntry.actor_id == wanted.operator)
    if wanted.action:
        conditions.append(AuditEntry.action == wanted.action)
    if wanted.object_type:
        conditions.append(AuditEntry.object_type == wanted.object_type)
    if wanted.since:
        conditions.append(AuditEntry.occurred_at >= start_of_local_day(wanted.since))
    if wanted.until:
        conditions.append(AuditEntry.occurred_at < start_of_local_day(wanted.until + timedelta(days=1)))
    if wanted.id_number or wanted.person_id:
        conditions.append(_about_payer(session, wanted.id_number or None, wanted.person_id))
    query = select(AuditEntry).where(*conditions)
    return fetch_scalars(session, query, ORDER, page)
