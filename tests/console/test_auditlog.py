"""Audit search as a query: filters, paging, and each tax office's rows only (0 of another office's)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.console.auditlog import AuditFilter, search
from shebao.console.lookup import PayerNotFound
from shebao.kit.clock import to_shanghai
from shebao.kit.pagination import PageRequest
from tests.support.access import ZHAO_LIU, victim_objects
from tests.support.offices import HOME, OTHER, OTHER_AGENCY, Office, lookup
from tests.support.people import ZHANG_SAN, enrol


@pytest.fixture
def offices(client, runtime, world, routed):  # type: ignore[no-untyped-def]
    """Zhang San's objects at 什刹海 (HOME), Zhao Liu enrolled at 东直门 (OTHER), one look-up of each."""
    victim = victim_objects(client, runtime, world)
    enrol(
        runtime,
        name=ZHAO_LIU[0],
        id_number=ZHAO_LIU[1],
        scheme="resident_medical",
        category="working_age",
        tax_office_code=OTHER,
        agency_code=OTHER_AGENCY,
    )
    with lookup(runtime, HOME) as payers:
        payers.find(ZHANG_SAN[1])
    with lookup(runtime, OTHER, Actor(type="operator", id="east", channel="console")) as other:
        other.find(ZHAO_LIU[1])
    return victim


def rows(runtime, office: str | None, wanted: AuditFilter = AuditFilter()) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found, _ = search(s, Office(office), wanted, None)
        s.expunge_all()
    return found


def test_each_office_sees_the_rows_about_its_own_payers_only(runtime, session, offices, world) -> None:  # type: ignore[no-untyped-def]
    everything = rows(runtime, None)
    assert len(everything) == session.query(AuditEntry).count()
    home, other = rows(runtime, HOME), rows(runtime, OTHER)
    assert {r.id for r in home} & {r.id for r in other} == set()
    assert sorted((r.object_type, r.action, r.actor_id) for r in other) == [
        ("enrolment", "enrolment.created", None),
        ("person", "console.payer_lookup", "east"),
    ]
    assert all(r.object_id != str(world.zhang.id) for r in other)
    kinds = {r.object_type for r in home}
    assert {"declaration", "payment", "agreement", "contribution_setting", "certificate", "person"} <= kinds
    # every row of the admin's view is in exactly one office's view, or in neither (no office owns it)
    owned = {r.id for r in home} | {r.id for r in other}
    assert owned <= {r.id for r in everything}


def test_the_payer_filter_goes_through_the_blind_index(runtime, offices, world) -> None:  # type: ignore[no-untyped-def]
    about_zhang = rows(runtime, HOME, AuditFilter(id_number=ZHANG_SAN[1]))
    assert {"declaration", "payment", "person", "certificate"} <= {r.object_type for r in about_zhang}
    assert ("person", str(world.zhang.id)) in {(r.object_type, r.object_id) for r in about_zhang}
    assert rows(runtime, OTHER, AuditFilter(id_number=ZHANG_SAN[1])) == []
    # a number searched for in vain is found too (the PIPL log of who looked for whom)
    with lookup(runtime, OTHER) as payers, pytest.raises(PayerNotFound):
        payers.find(ZHANG_SAN[1])
    searches = rows(runtime, None, AuditFilter(id_number=ZHANG_SAN[1], object_type="person_search"))
    assert [(r.actor_id, r.action, r.after) for r in searches] == [
        ("clerk", "console.payer_lookup", {"by": "id_number", "found": False})
    ]


def test_filters_by_operator_action_object_and_days(runtime, offices) -> None:  # type: ignore[no-untyped-def]
    mine = rows(runtime, HOME, AuditFilter(operator="clerk"))
    assert [(r.action, r.object_type) for r in mine] == [("console.payer_lookup", "person")]
    assert rows(runtime, HOME, AuditFilter(operator="east")) == []
    paid = rows(runtime, HOME, AuditFilter(object_type="payment"))
    assert paid and {r.object_type for r in paid} == {"payment"}
    lookups = rows(runtime, None, AuditFilter(action="console.payer_lookup"))
    assert sorted(r.actor_id or "" for r in lookups) == ["clerk", "east"]
    today = to_shanghai(mine[0].occurred_at).date()
    assert [r.id for r in rows(runtime, HOME, AuditFilter(operator="clerk", since=today, until=today))] == [
        mine[0].id
    ]
    assert rows(runtime, HOME, AuditFilter(operator="clerk", since=today + timedelta(days=1))) == []
    assert rows(runtime, HOME, AuditFilter(operator="clerk", until=today - timedelta(days=1))) == []
    assert isinstance(today, date)


def test_pages_follow_one_another_to_the_end(runtime, offices) -> None:  # type: ignore[no-untyped-def]
    whole = [r.id for r in rows(runtime, HOME)]
    seen, page = [], PageRequest(limit=3)
    with runtime.db.session() as s:
        while True:
            found, cursor = search(s, Office(HOME), AuditFilter(), page)
            seen.extend(r.id for r in found)
            if cursor is None:
                break
            from shebao.kit.pagination import decode_cursor

            page = PageRequest(limit=3, after=decode_cursor(cursor))
    assert seen == whole
    assert len(whole) > 6
