"""The import of enrolment rows (CSV file or agency API), one chunk at a time.

`Importer.import_chunk(session, rows)` checks every row first (`rows.parse_row`: a rejected row writes
nothing), then looks up the chunk's persons and enrolments in two queries, creates or updates them row
by row in file order, writes an audit row per enrolment created or changed, and generates the
payables of every enrolment it touched (recomputing the undeclared ones of a changed enrolment).
It never commits: the importer's driver (`importer.py`) or the request does, once per chunk.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.db import insert_rows
from shebao.enrolment.models import Enrolment, term_columns
from shebao.enrolment.repository import EnrolmentRepository
from shebao.enrolment.rows import EnrolmentRow, RowContext, RowRejected, parse_row
from shebao.enrolment.terms import TERM_LABELS, EnrolmentTerms
from shebao.identity.documents import Document
from shebao.identity.models import Person
from shebao.identity.repository import document_index, phone_index, taxpayer_index
from shebao.kit.ids import new_id
from shebao.payables.models import Payable
from shebao.payables.pricing import Plan
from shebao.payables.repository import PayableRepository
from shebao.payables.service import first_payables, sync_enrolment
from shebao.policy.tables import PolicyTables

IMPORTED: Final = "imported"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
REJECTED: Final = "rejected"
STATUSES: Final = (IMPORTED, UPDATED, UNCHANGED, REJECTED)
STATUS_LABELS: Final = {IMPORTED: "导入", UPDATED: "更新", UNCHANGED: "未变", REJECTED: "拒绝"}
_PERSON_LABELS: Final = {"name": "姓名", "phone": "手机号码"}


@dataclass(frozen=True)
class RawRow:
    """A row as received: `line` in the file (header = line 1); `index` in an API request's rows."""

    line: int
    values: Mapping[str, object]
    index: int | None = None
    problem: str | None = None  # a row that cannot even be read as fields (wrong number of cells)


@dataclass(frozen=True)
class RowResult:
    line: int
    status: str
    reason: str
    index: int | None = None


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def rejected(self) -> int:
        return self.count(REJECTED)

    def rejections(self) -> list[tuple[int, str]]:
        return [(result.line, result.reason) for result in self.results if result.status == REJECTED]

    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUSES}

    def summary(self) -> str:
        counts = "，".join(f"{STATUS_LABELS[status]}{self.count(status)}行" for status in STATUSES)
        return f"共{len(self.results)}行：{counts}"


@dataclass
class _NewPerson:
    """A person this chunk creates (inserted in bulk at the end of the chunk)."""

    id: uuid.UUID
    document: Document
    index: str
    name: str
    phone: str | None

    def values(self, now: datetime) -> dict[str, object]:
        """The columns `PersonRepository.upsert` would give a new person."""
        return {
            "id": self.id,
            "id_type": self.document.id_type.value,
            "id_number": self.document.id_number,
            "document_index": self.index,
            "name": self.name,
            "taxpayer_id": self.document.taxpayer_id,
            "taxpayer_index": taxpayer_index(self.document.taxpayer_id),
            "birth_date": self.document.birth_date,
            "phone": self.phone,
            "phone_index": phone_index(self.phone) if self.phone else None,
            "created_at": now,
            "updated_at": now,
        }


@dataclass
class _NewEnrolment:
    """An enrolment this chunk creates (inserted in bulk, with its payables, at the end of the chunk)."""

    id: uuid.UUID
    person_id: uuid.UUID
    terms: EnrolmentTerms


@dataclass
class _Touched:
    """An enrolment created or changed by this chunk, and the rows that did it."""

    enrolment: Enrolment | _NewEnrolment
    rows: list[int] = field(default_factory=list)  # positions in the chunk
    details: list[str] = field(default_factory=list)  # what generating its payables did


@dataclass
class _Writes:
    """What a chunk inserts in bulk: one INSERT (of many rows) per table."""

    persons: list[_NewPerson] = field(default_factory=list)
    enrolments: list[dict[str, object]] = field(default_factory=list)
    payables: list[dict[str, object]] = field(default_factory=list)
    audit: list[dict[str, object]] = field(default_factory=list)


class Importer:
    """Imports the rows of one file (or one API request), chunk by chunk, each chunk in the session
    it is handed. Remembers which (document, scheme) the file held so far, so a repeated row is
    `unchanged` the second time with a reason that names the first line."""

    def __init__(
        self,
        *,
        context: RowContext,
        policy: PolicyTables,
        actor: Actor,
        agency_code: str | None = None,
    ) -> None:
        self.context = context
        self.policy = policy
        self.actor = actor
        self.agency_code = agency_code  # an agency key only enrols its own agency's rows
        self._seen: dict[tuple[str, str], int] = {}
        self._plans: dict[EnrolmentTerms, Plan] = {}  # by terms: the policy and the day are fixed

    def snapshot(self) -> dict[tuple[str, str], int]:
        return dict(self._seen)

    def restore(self, snapshot: dict[tuple[str, str], int]) -> None:
        """Forget what a chunk that was rolled back remembered."""
        self._seen = snapshot

    # -------------------------------------------------------------------------------------- check

    def _check(
        self, rows: Sequence[RawRow]
    ) -> tuple[dict[int, RowResult], list[tuple[int, EnrolmentRow, str]]]:
        results: dict[int, RowResult] = {}
        accepted: list[tuple[int, EnrolmentRow, str]] = []
        for position, raw in enumerate(rows):
            if raw.problem is not None:
                results[position] = RowResult(raw.line, REJECTED, raw.problem, raw.index)
                continue
            try:
                row = parse_row(raw.values, self.context)
            except RowRejected as exc:
                results[position] = RowResult(raw.line, REJECTED, exc.reason, raw.index)
                continue
            if self.agency_code is not None and row.terms.agency_code != self.agency_code:
                reason = (
                    f"本机构（{self.agency_code}）的密钥不能报送其他社保经办机构的参保数据："
                    f"{row.terms.agency_code}"
                )
                results[position] = RowResult(raw.line, REJECTED, reason, raw.index)
                continue
            index = document_index(row.document.id_type, row.document.id_number)
            accepted.append((position, row, index))
        return results, accepted

    # -------------------------------------------------------------------------------------- do

    def import_chunk(self, session: Session, rows: Sequence[RawRow], *, now: datetime) -> list[RowResult]:
        """Import a chunk (a few thousand rows at most); answers one result per row, in order."""
        results, accepted = self._check(rows)
        repository = EnrolmentRepository(session)
        persons: dict[str, Person | _NewPerson] = dict(
            repository.persons_by_document_index(index for _, _, index in accepted)
        )
        enrolments: dict[tuple[uuid.UUID, str], Enrolment | _NewEnrolment] = dict(
            repository.for_persons(person.id for person in persons.values())
        )
        writes = _Writes()
        touched: dict[uuid.UUID, _Touched] = {}
        reasons: dict[int, str] = {}
        for position, row, index in accepted:
            raw = rows[position]
            person, person_changes = self._person(persons, writes, row, index, now)
            key = (person.id, row.terms.scheme)
            enrolment = enrolments.get(key)
            first_line = self._seen.setdefault((index, row.terms.scheme), raw.line)
            if enrolment is None:
                enrolment = enrolments[key] = _NewEnrolment(new_id(), person.id, row.terms)
                touched[enrolment.id] = _Touched(enrolment)
                writes.audit.append(self._audit("enrolment.created", enrolment, None, now))
                status, reasons[position] = IMPORTED, "已导入"
            else:
                changes = [TERM_LABELS[name] for name in enrolment.terms.changed_fields(row.terms)]
                changes += [_PERSON_LABELS[name] for name in person_changes]
                if not changes:
                    reason = (
                        f"与第{first_line}行相同，未作修改"
                        if first_line != raw.line
                        else "与已登记的参保信息一致，未作修改"
                    )
                    results[position] = RowResult(raw.line, UNCHANGED, reason, raw.index)
                    continue
                before = enrolment.terms.audit_view()
                if isinstance(enrolment, Enrolment):
                    enrolment.apply(row.terms)
                    enrolment.updated_at = now
                else:
                    enrolment.terms = row.terms
                touched.setdefault(enrolment.id, _Touched(enrolment))
                writes.audit.append(self._audit("enrolment.updated", enrolment, before, now, person_changes))
                status, reasons[position] = UPDATED, f"已更新（{'、'.join(changes)}）"
            touched[enrolment.id].rows.append(position)
            results[position] = RowResult(raw.line, status, reasons[position], raw.index)

        self._generate(session, touched, writes, now)
        self._write(session, writes, now)
        for item in touched.values():
            last = item.rows[-1]
            if item.details:
                old = results[last]
                reason = "；".join([reasons[last], *item.details])
                results[last] = RowResult(old.line, old.status, reason, old.index)
        return [results[position] for position in range(len(rows))]

    def _generate(
        self, session: Session, touched: dict[uuid.UUID, _Touched], writes: _Writes, now: datetime
    ) -> None:
        """Payables of the enrolments created (as bulk rows) and of those changed (recomputed)."""
        changed = [item.enrolment for item in touched.values() if isinstance(item.enrolment, Enrolment)]
        existing = PayableRepository(session).for_enrolments([enrolment.id for enrolment in changed])
        today = self.context.today
        for item in touched.values():
            enrolment = item.enrolment
            if isinstance(enrolment, Enrolment):
                synced = sync_enrolment(
                    session,
                    enrolment,
                    existing.get(enrolment.id, []),
                    policy=self.policy,
                    today=today,
                    now=now,
                    recompute=True,
                )
                item.details = synced.describe(update=True)
                continue
            result, payables, through = first_payables(
                enrolment.id,
                enrolment.person_id,
                enrolment.terms,
                policy=self.policy,
                today=today,
                now=now,
                plans=self._plans,
            )
            writes.payables += payables
            writes.enrolments.append(
                {
                    "id": enrolment.id,
                    "person_id": enrolment.person_id,
                    **term_columns(enrolment.terms),
                    "payables_through": through,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            item.details = result.describe(update=False)

    @staticmethod
    def _write(session: Session, writes: _Writes, now: datetime) -> None:
        """Persons, then enrolments, then payables (foreign keys), each in one INSERT; then the changes."""
        insert_rows(session, Person, [person.values(now) for person in writes.persons])
        insert_rows(session, Enrolment, writes.enrolments)
        insert_rows(session, Payable, writes.payables)
        insert_rows(session, AuditEntry, writes.audit)
        session.flush()

    def _person(
        self,
        persons: dict[str, Person | _NewPerson],
        writes: _Writes,
        row: EnrolmentRow,
        index: str,
        now: datetime,
    ) -> tuple[Person | _NewPerson, list[str]]:
        """The row's person, created or brought up to date the way `PersonRepository.upsert` does
        (a new name replaces the old one; a phone replaces it, an empty phone keeps it)."""
        person = persons.get(index)
        if person is None:
            person = persons[index] = _NewPerson(new_id(), row.document, index, row.name, row.phone)
            writes.persons.append(person)
            return person, []
        changes: list[str] = []
        if person.name != row.name:
            person.name = row.name
            changes.append("name")
        if row.phone and person.phone != row.phone:
            person.phone = row.phone
            changes.append("phone")
        if changes and isinstance(person, Person):
            person.phone_index = phone_index(person.phone) if person.phone else None
            person.updated_at = now
        return person, changes

    def _audit(
        self,
        action: str,
        enrolment: Enrolment | _NewEnrolment,
        before: dict[str, object] | None,
        now: datetime,
        person_changes: Sequence[str] = (),
    ) -> dict[str, object]:
        """An audit row (the columns `audit.service.record` writes), inserted with the chunk.
        No personal data: the person's id, the terms, the names of changed fields."""
        after: dict[str, object] = {"person_id": str(enrolment.person_id), **enrolment.terms.audit_view()}
        if person_changes:
            after["person_fields_changed"] = list(person_changes)
        return {
            "id": new_id(),
            "occurred_at": now,
            "actor_type": self.actor.type,
            "actor_id": self.actor.id,
            "channel": self.actor.channel,
            "action": action,
            "object_type": "enrolment",
            "object_id": str(enrolment.id),
            "before": before,
            "after": after,
        }
