"""A payer's dossier for the console: the person found by document number through the blind index, and
what the system holds about them gathered in one query per kind of object (never one per object).

Everything is read within an `OfficeScope`: a person is a payer of an office when they have an
enrolment, a declaration (insured or declarer), an agreement or a contribution setting there; of their
objects only those of the scope's offices are gathered (a certificate not yet issued has no office yet
and belongs to its person).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select
from sqlalchemy.orm import Session, lazyload

from shebao.agreements.models import Agreement
from shebao.audit.models import AuditEntry
from shebao.certificates.models import Certificate
from shebao.console.scope import OfficeScope
from shebao.declarations.models import Declaration
from shebao.deductions.models import ContributionSetting, Deduction
from shebao.enrolment.models import Enrolment
from shebao.identity.documents import IdType
from shebao.identity.models import Consent, FamilyMember, Person
from shebao.identity.repository import document_index
from shebao.kit.crypto import blind_index
from shebao.payables.models import Payable
from shebao.payments.models import ChannelEvent, Payment

# The newest audit rows a dossier shows; the audit search (console/audit) pages through all of them.
AUDIT_ROWS = 200
_T = TypeVar("_T")

# How a look-up that found no one is filed in the audit log: by a keyed index of the number typed.
SEARCH_OBJECT = "person_search"


def search_index(id_number: str) -> str:
    """The audit log's key of a document number searched for (any document type)."""
    return blind_index(id_number, kind="console_search")


def indexes_of(id_number: str) -> dict[str, IdType]:
    """The blind index of `id_number` as each document type (the console asks for the number alone)."""
    return {document_index(kind, id_number): kind for kind in IdType}


def payer_of(scope: OfficeScope) -> ColumnElement[bool]:
    """Persons who are payers of the scope's offices (the console's one visibility rule for a person)."""
    return or_(
        exists().where(Enrolment.person_id == Person.id, scope.office_filter(Enrolment.tax_office_code)),
        exists().where(
            or_(Declaration.person_id == Person.id, Declaration.declared_by_id == Person.id),
            scope.office_filter(Declaration.tax_office_code),
        ),
        exists().where(Agreement.payer_id == Person.id, scope.office_filter(Agreement.tax_office_code)),
        exists().where(
            or_(ContributionSetting.person_id == Person.id, ContributionSetting.payer_id == Person.id),
            scope.office_filter(ContributionSetting.tax_office_code),
        ),
    )


@dataclass
class Dossier:
    person: Person
    enrolments: list[Enrolment] = field(default_factory=list)
    payables: list[Payable] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    events: dict[str, list[ChannelEvent]] = field(default_factory=dict)  # by out_trade_no
    agreements: list[Agreement] = field(default_factory=list)
    settings: list[ContributionSetting] = field(default_factory=list)
    deductions: list[Deduction] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    @property
    def etickets(self) -> list[Payment]:
        """电子缴税付款凭证: the payments that were given an e-ticket number."""
        return [payment for payment in self.payments if payment.eticket_no]


class DossierRepository:
    def __init__(self, session: Session, scope: OfficeScope) -> None:
        self.session = session
        self.scope = scope

    def find(self, id_number: str) -> list[Person]:
        """The payers of the scope whose document (of any type) has this normalised number."""
        query = (
            select(Person)
            .where(Person.document_index.in_(list(indexes_of(id_number))), payer_of(self.scope))
            .order_by(Person.id)
        )
        return list(self.session.scalars(query))

    def get(self, person_id: uuid.UUID) -> Person | None:
        query = select(Person).where(Person.id == person_id, payer_of(self.scope))
        return self.session.scalars(query).first()

    def gather(self, person: Person) -> Dossier:
        """The person's objects in the scope: one query per kind, plus the newest audit rows about them."""
        found = self.objects(person)
        found.audit = self._all(
            select(AuditEntry)
            .where(about(self.subjects(found)))
            .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
            .limit(AUDIT_ROWS)
        )
        return found

    def subjects(self, found: Dossier) -> dict[str, list[str]]:
        """What the audit log says about the person: (object_type → ids as the log writes them)."""
        return subjects_of(found, self._family_rows(found.person.id))

    def objects(self, person: Person) -> Dossier:
        """The person's objects in the scope, one query per kind (the audit rows left out)."""
        pid, office = person.id, self.scope.office_filter
        found = Dossier(person)
        found.enrolments = self._all(
            select(Enrolment)
            .where(Enrolment.person_id == pid, office(Enrolment.tax_office_code))
            .order_by(Enrolment.created_at, Enrolment.id)
        )
        found.payables = self._all(
            select(Payable)
            .where(Payable.person_id == pid, office(Payable.tax_office_code))
            .order_by(Payable.period_start.desc(), Payable.levy_item, Payable.id)
        )
        found.declarations = self._all(
            select(Declaration)
            .where(
                or_(Declaration.person_id == pid, Declaration.declared_by_id == pid),
                office(Declaration.tax_office_code),
            )
            .order_by(Declaration.declared_at.desc(), Declaration.id)
            .options(lazyload(Declaration.items))  # the console shows a declaration's totals, not its items
        )
        found.payments = self._all(
            select(Payment)
            .join(Declaration, Declaration.id == Payment.declaration_id)
            .where(
                or_(Payment.person_id == pid, Payment.payer_id == pid), office(Declaration.tax_office_code)
            )
            .order_by(Payment.created_at.desc(), Payment.id)
        )
        found.events = self._events([payment.out_trade_no for payment in found.payments])
        found.agreements = self._all(
            select(Agreement)
            .where(Agreement.payer_id == pid, office(Agreement.tax_office_code))
            .order_by(Agreement.signed_at.desc(), Agreement.id)
        )
        in_office = select(ContributionSetting.id).where(office(ContributionSetting.tax_office_code))
        found.settings = self._all(
            select(ContributionSetting)
            .where(
                or_(ContributionSetting.person_id == pid, ContributionSetting.payer_id == pid),
                ContributionSetting.id.in_(in_office),
            )
            .order_by(ContributionSetting.created_at.desc(), ContributionSetting.id)
        )
        found.deductions = self._all(
            select(Deduction)
            .where(
                or_(Deduction.person_id == pid, Deduction.payer_id == pid),
                Deduction.setting_id.in_(in_office),
            )
            .order_by(Deduction.created_at.desc(), Deduction.id)
        )
        found.certificates = self._all(
            select(Certificate)
            .where(
                or_(Certificate.person_id == pid, Certificate.requested_by_id == pid),
                or_(Certificate.tax_office_code.is_(None), office(Certificate.tax_office_code)),
            )
            .order_by(Certificate.applied_at.desc(), Certificate.id)
        )
        return found

    def _all(self, query: Select[tuple[_T]]) -> list[_T]:
        return list(self.session.scalars(query))

    def _events(self, trade_nos: Sequence[str]) -> dict[str, list[ChannelEvent]]:
        events: dict[str, list[ChannelEvent]] = defaultdict(list)
        if trade_nos:
            query = (
                select(ChannelEvent)
                .where(ChannelEvent.out_trade_no.in_(sorted(set(trade_nos))))
                .order_by(ChannelEvent.received_at, ChannelEvent.id)
            )
            for event in self.session.scalars(query):
                events[event.out_trade_no].append(event)
        return dict(events)

    def _family_rows(self, pid: uuid.UUID) -> dict[str, list[uuid.UUID]]:
        """The person's family links and consents (either side), which their audit trail also covers."""
        links = select(literal("family_member").label("kind"), FamilyMember.id).where(
            or_(FamilyMember.payer_id == pid, FamilyMember.member_id == pid)
        )
        consents = select(literal("consent").label("kind"), Consent.id).where(
            or_(Consent.payer_id == pid, Consent.member_id == pid)
        )
        rows: dict[str, list[uuid.UUID]] = {"family_member": [], "consent": []}
        for kind, row_id in self.session.execute(links.union_all(consents)):
            rows[kind].append(row_id)
        return rows


def subjects_of(dossier: Dossier, family: dict[str, list[uuid.UUID]]) -> dict[str, list[str]]:
    """The audit log's (object_type, object ids) of a dossier: the person and each object about them."""
    subjects: dict[str, Iterable[object]] = {
        "person": [dossier.person.id],
        "enrolment": (e.id for e in dossier.enrolments),
        "declaration": (d.id for d in dossier.declarations),
        "payment": (p.id for p in dossier.payments),
        "agreement": (a.id for a in dossier.agreements),
        "contribution_setting": (s.id for s in dossier.settings),
        "certificate": (c.id for c in dossier.certificates),
        **family,
    }
    return {kind: [str(i) for i in ids] for kind, ids in subjects.items()}


def about(subjects: dict[str, list[str]]) -> ColumnElement[bool]:
    """Audit rows about any of `subjects` (object_type → ids as the log writes them)."""
    branches = [
        and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_(ids))
        for kind, ids in subjects.items()
        if ids
    ]
    return or_(*branches) if branches else false()
