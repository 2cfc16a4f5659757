"""The console's payer look-up and reveal as services: found through the blind index, gathered in a few
queries, scoped to the operator's tax office, every access in the audit log."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from shebao.audit.models import AuditEntry
from shebao.console.dossier import SEARCH_OBJECT, search_index
from shebao.console.lookup import (
    LOOKUP,
    REVEAL,
    VIEW,
    BadIdNumber,
    PayerNotFound,
    ReasonMissing,
)
from tests.support.access import ZHAO_LIU, victim_objects
from tests.support.offices import HOME, OTHER, OTHER_AGENCY, lookup
from tests.support.people import LI_SI, ZHANG_SAN, enrol


def audit_rows(session: Session, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.occurred_at)
    return list(session.scalars(query))


@pytest.fixture
def victim(client, runtime, world, routed):  # type: ignore[no-untyped-def]
    return victim_objects(client, runtime, world)


def test_a_payer_is_found_by_document_number_with_everything_about_them(
    runtime, world, victim, session
) -> None:  # type: ignore[no-untyped-def]
    with lookup(runtime) as payers:
        found = payers.find(ZHANG_SAN[1])
        family = payers.dossiers.subjects(found)["family_member"]
    assert found.person.id == world.zhang.id
    assert family == victim.ids["family"]  # the links are the test's own rows: no audit rows of them
    assert [e.scheme for e in found.enrolments] == ["resident_medical"]
    assert sorted(str(p.id) for p in found.payables) == sorted(victim.ids["payable"])
    assert {p.status for p in found.payables} == {"paid"}
    assert sorted(str(d.id) for d in found.declarations) == sorted(victim.ids["declaration"])
    assert sorted(str(p.id) for p in found.payments) == sorted(victim.ids["payment"])
    assert {p.status for p in found.payments} == {"succeeded"}
    assert len(found.etickets) == 2
    assert all(len(found.events[p.out_trade_no]) == 1 for p in found.payments)
    assert [str(a.id) for a in found.agreements] == victim.ids["agreement"]
    assert [str(s.id) for s in found.settings] == victim.ids["contribution_setting"]
    assert sorted(str(c.id) for c in found.certificates) == sorted(victim.ids["certificate"])
    about = {(row.object_type, row.object_id) for row in found.audit}
    for kind in ("declaration", "payment", "agreement", "contribution_setting", "certificate"):
        assert {(kind, i) for i in victim.ids[kind]} <= about, kind
    [row] = audit_rows(session, LOOKUP)
    assert (row.actor_type, row.actor_id, row.channel) == ("operator", "clerk", "console")
    assert (row.object_type, row.object_id, row.after) == (
        "person",
        str(world.zhang.id),
        {"by": "id_number", "found": True},
    )


def test_the_dossier_is_read_in_a_fixed_number_of_queries(runtime, world, victim) -> None:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2].split()[0] + " " + args[2].split("FROM")[1].split()[0])

    with lookup(runtime) as payers:
        person = payers.dossiers.get(world.zhang.id)
        assert person is not None
        event.listen(payers.session.get_bind(), "before_cursor_execute", count)
        try:
            found = payers.dossiers.gather(person)
        finally:
            event.remove(payers.session.get_bind(), "before_cursor_execute", count)
    assert len(found.payments) == 2
    # enrolments, payables, declarations, payments, events, agreements, settings, deductions,
    # certificates, family rows, audit: one each, however many objects there are.
    assert len(statements) == 11, statements


def test_name_and_number_must_both_match(runtime, world) -> None:  # type: ignore[no-untyped-def]
    with lookup(runtime) as payers:
        assert payers.find(f" {ZHANG_SAN[1]} ", name="张 三").person.id == world.zhang.id
    with lookup(runtime) as payers, pytest.raises(PayerNotFound):
        payers.find(ZHANG_SAN[1], name=LI_SI[0])


def test_a_full_width_number_is_normalised_and_a_malformed_one_refused(runtime, world) -> None:  # type: ignore[no-untyped-def]
    full_width = ZHANG_SAN[1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    with lookup(runtime) as payers:
        assert payers.find(full_width).person.id == world.zhang.id
    for bad in ("", "12", "1101-0119900307", "x" * 19, "张三"):
        with lookup(runtime) as payers, pytest.raises(BadIdNumber) as refused:
            payers.find(bad)
        assert refused.value.fields == {"id_number": "证件号码格式不正确：应为 5 至 18 位数字或字母"}


def test_another_offices_payer_is_not_found_and_the_search_is_audited(runtime, world, session) -> None:  # type: ignore[no-untyped-def]
    enrol(
        runtime,
        name=ZHAO_LIU[0],
        id_number=ZHAO_LIU[1],
        scheme="resident_medical",
        category="working_age",
        tax_office_code=OTHER,
        agency_code=OTHER_AGENCY,
    )
    with lookup(runtime, OTHER) as payers:
        assert payers.find(ZHAO_LIU[1]).person.name == ZHAO_LIU[0]
    with lookup(runtime, OTHER) as payers, pytest.raises(PayerNotFound) as refused:
        payers.find(ZHANG_SAN[1])
    assert (refused.value.status_code, refused.value.commit_anyway) == (404, True)
    with lookup(runtime, HOME) as payers, pytest.raises(PayerNotFound):
        payers.find(ZHAO_LIU[1])
    with lookup(runtime, None) as payers:  # an admin of all offices
        assert payers.find(ZHAO_LIU[1]).person.name == ZHAO_LIU[0]
        assert payers.find(ZHANG_SAN[1]).person.id == world.zhang.id
    misses = [row for row in audit_rows(session, LOOKUP) if row.object_type == SEARCH_OBJECT]
    assert [(row.object_id, row.after) for row in misses] == [
        (search_index(ZHANG_SAN[1]), {"by": "id_number", "found": False}),
        (search_index(ZHAO_LIU[1]), {"by": "id_number", "found": False}),
    ]


def test_an_operator_sees_only_their_offices_objects_of_a_payer_of_two_offices(runtime, world) -> None:  # type: ignore[no-untyped-def]
    enrol(
        runtime,
        name=ZHANG_SAN[0],
        id_number=ZHANG_SAN[1],
        scheme="resident_pension",
        tax_office_code=OTHER,
        agency_code=OTHER_AGENCY,
    )
    with lookup(runtime, HOME) as payers:
        assert [e.scheme for e in payers.find(ZHANG_SAN[1]).enrolments] == ["resident_medical"]
    with lookup(runtime, OTHER) as payers:
        found = payers.find(ZHANG_SAN[1])
        assert [e.scheme for e in found.enrolments] == ["resident_pension"]
        assert {p.tax_office_code for p in found.payables} == {OTHER}
    with lookup(runtime, None) as payers:
        assert sorted(e.scheme for e in payers.find(ZHANG_SAN[1]).enrolments) == [
            "resident_medical",
            "resident_pension",
        ]


def test_a_reveal_answers_the_plain_data_and_is_audited_with_its_reason(runtime, world, session) -> None:  # type: ignore[no-untyped-def]
    with lookup(runtime) as payers:
        shown = payers.reveal(world.zhang.id, "  核实缴费人来电 13812345678 的身份 ")
    assert (shown.name, shown.id_type, shown.id_number, shown.phone) == (
        "张三",
        "resident_id",
        ZHANG_SAN[1],
        "13812345678",
    )
    [row] = audit_rows(session, REVEAL)
    assert (row.actor_id, row.object_type, row.object_id) == ("clerk", "person", str(world.zhang.id))
    assert row.after == {
        "fields": ["name", "id_number", "phone"],
        "reason": "核实缴费人来电 138****5678 的身份",
    }


def test_a_reveal_needs_a_reason_and_a_payer_of_the_office(runtime, world, session) -> None:  # type: ignore[no-untyped-def]
    with lookup(runtime) as payers, pytest.raises(ReasonMissing):
        payers.reveal(world.zhang.id, "   ")
    with lookup(runtime, OTHER) as payers, pytest.raises(PayerNotFound):
        payers.reveal(world.zhang.id, "核实身份")
    with lookup(runtime) as payers, pytest.raises(PayerNotFound):
        payers.reveal(uuid.uuid4(), "核实身份")
    with lookup(runtime, OTHER) as payers, pytest.raises(PayerNotFound):
        payers.view(world.zhang.id)
    assert audit_rows(session, REVEAL) == []
    assert audit_rows(session, VIEW) == []
