"""Shared test helpers: persons and logins without going through SMS and face steps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy.orm import Session

from shebao.identity.documents import validate
from shebao.identity.models import FamilyMember, Person
from shebao.identity.repository import PersonRepository
from shebao.identity.sessions import open_session
from shebao.runtime import Runtime

# Valid resident ID numbers (GB 11643 check digits) for tests.
ZHANG_SAN = ("张三", "110101199003071823")
LI_SI = ("李四", "370101190102039973")
WANG_WU = ("王五", "11010519491231002X")


@contextmanager
def transaction(runtime: Runtime) -> Iterator[Session]:
    """A test's own transaction: one step of a unit of work (the only way to open one), its session."""
    with runtime.work().step() as step:
        yield step.session


def make_person(
    runtime: Runtime,
    name: str,
    id_number: str,
    *,
    id_type: str = "resident_id",
    phone: str | None = "13812345678",
) -> Person:
    document = validate(id_type, id_number, today=date(2026, 1, 1))
    with transaction(runtime) as s:
        person, _ = PersonRepository(s).upsert(document, name, phone, now=runtime.clock.now())
    return person


def bearer_for(runtime: Runtime, person: Person, *, channel: str = "h5") -> dict[str, str]:
    """Headers of a logged-in API client (a bearer session opened directly)."""
    with transaction(runtime) as s:
        _, token = open_session(
            s,
            person.id,
            kind="bearer",
            channel=channel,
            now=runtime.clock.now(),
            idle=timedelta(minutes=runtime.settings.session_idle_minutes),
        )
    return {"Authorization": f"Bearer {token}", "X-Shebao-Channel": channel}


def add_family(runtime: Runtime, payer: Person, member: Person, relation: str = "parent") -> str:
    """Link `member` to `payer`; answers the family row id (the API's `payer_id`)."""
    with transaction(runtime) as s:
        row = FamilyMember(
            payer_id=payer.id, member_id=member.id, relation=relation, created_at=runtime.clock.now()
        )
        s.add(row)
        s.flush()
        return str(row.id)


def enrol(runtime: Runtime, **values: str) -> None:
    """Import one enrolment row through the agencies' import service (its payables are generated)."""
    from shebao.agency.importer import new_importer, run_import
    from shebao.agency.service import RawRow
    from shebao.audit.service import Actor

    row = {"id_type": "resident_id", "tax_office_code": "11101020001", "agency_code": "SB110102"}
    row.update(values)
    report = run_import(runtime, [RawRow(line=2, values=row)], new_importer(runtime, actor=Actor.system()))
    [result] = report.results
    assert result.status in {"imported", "updated"}, result.reason
