"""`db.insert_rows`: COPY on PostgreSQL, executemany elsewhere; the same rows either way."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select, text

from shebao.audit.models import AuditEntry
from shebao.db import insert_rows
from shebao.identity.models import Person
from shebao.runtime import Runtime
from tests.support.people import transaction

NOW = datetime(2025, 11, 20, 1, 2, 3, tzinfo=UTC)


def _phone(number: int) -> str | None:
    return None if number % 2 else f"1390000{number:04d}"


def _person(number: int) -> dict[str, object]:
    return {
        "id_type": "resident_id",
        "id_number": f"11010519491231{number:03d}X",
        "document_index": f"doc-{number}",
        "name": f"张\t三,\\{number}",  # a tab, a comma and a backslash: COPY's text format escapes them
        "taxpayer_id": f"11010519491231{number:03d}X",
        "taxpayer_index": f"tax-{number}",
        "birth_date": date(1949, 12, 31),
        "phone": _phone(number),
        "phone_index": None,
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_rows_round_trip_with_encryption_defaults_and_json(runtime: Runtime) -> None:
    with transaction(runtime) as session:
        insert_rows(session, Person, [_person(n) for n in range(3)])
        insert_rows(
            session,
            AuditEntry,
            [
                {
                    "occurred_at": NOW,
                    "actor_type": "system",
                    "actor_id": None,
                    "channel": None,
                    "action": "bulk.test",
                    "object_type": "person",
                    "object_id": str(n),
                    "before": None,
                    "after": {"n": n, "名": "值"},
                }
                for n in range(2)
            ],
        )
    with runtime.db.session() as session:
        persons = session.scalars(select(Person).order_by(Person.document_index)).all()
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.object_id)).all()
        stored_names = session.execute(text("SELECT name FROM persons")).scalars().all()
    assert [(p.name, p.id_number, p.phone, p.birth_date, p.created_at) for p in persons] == [
        (
            f"张\t三,\\{n}",
            f"11010519491231{n:03d}X",
            None if n % 2 else f"1390000{n:04d}",
            date(1949, 12, 31),
            NOW,
        )
        for n in range(3)
    ]
    assert all(isinstance(p.id, uuid.UUID) for p in persons)  # the Python-side default filled the key
    assert len({p.id for p in persons}) == 3
    assert [(e.object_id, e.before, e.after) for e in entries] == [
        ("0", None, {"n": 0, "名": "值"}),
        ("1", None, {"n": 1, "名": "值"}),
    ]
    assert not any("张" in str(name) for name in stored_names)  # encrypted at rest, COPY included


def test_no_rows_writes_nothing(runtime: Runtime) -> None:
    with transaction(runtime) as session:
        insert_rows(session, Person, [])
    with runtime.db.session() as session:
        assert session.scalars(select(Person)).all() == []
