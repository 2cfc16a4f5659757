"""`/api/v1/console/payers`: look-up, a payer's record, reveal — masked, scoped to the office, audited."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from tests.support.console import staff_headers
from tests.support.offices import HOME, OTHER
from tests.support.people import LI_SI, ZHANG_SAN

URL = "/api/v1/console/payers"


@pytest.fixture
def clerk(client, runtime, world):  # type: ignore[no-untyped-def]
    return staff_headers(client, runtime, role="operator", office=HOME, username="clerk")


def test_a_payer_is_found_masked_with_their_records(client, clerk, world, session) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(URL, params={"id_number": ZHANG_SAN[1]}, headers=clerk)
    assert answer.status_code == 200, answer.text
    payer = answer.json()
    assert (payer["id"], payer["masked_name"], payer["masked_id_number"], payer["masked_phone"]) == (
        str(world.zhang.id),
        "*三",
        "110101********1823",
        "138****5678",
    )
    assert [(e["scheme"], e["scheme_label"], e["tax_office_code"]) for e in payer["enrolments"]] == [
        ("resident_medical", "城乡居民基本医疗保险", HOME)
    ]
    assert [p["status_label"] for p in payer["payables"]] == ["待申报"]
    assert payer["declarations"] == payer["payments"] == payer["agreements"] == []
    assert ZHANG_SAN[1] not in answer.text and "张三" not in answer.text
    [row] = session.scalars(select(AuditEntry).where(AuditEntry.action == "console.payer_lookup")).all()
    assert (row.actor_type, row.actor_id, row.object_id) == ("operator", "clerk", str(world.zhang.id))
    again = client.get(f"{URL}/{world.zhang.id}", headers=clerk)
    assert again.status_code == 200 and again.json()["id"] == str(world.zhang.id)


def test_name_and_number_together(client, clerk, world) -> None:  # type: ignore[no-untyped-def]
    found = client.get(URL, params={"id_number": ZHANG_SAN[1], "name": "张三"}, headers=clerk)
    assert found.status_code == 200 and found.json()["id"] == str(world.zhang.id)
    wrong = client.get(URL, params={"id_number": ZHANG_SAN[1], "name": LI_SI[0]}, headers=clerk)
    assert wrong.status_code == 404
    assert wrong.json() == {
        "error": {"code": "payer_not_found", "message": "未找到该缴费人，请核对证件号码（及姓名）"}
    }


@pytest.mark.parametrize("number", ["12", "1101011990030718234", "11010119900307182!", "张三"])
def test_a_malformed_number_is_a_422_naming_the_field(client, clerk, world, number) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(URL, params={"id_number": number}, headers=clerk)
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {"id_number": "证件号码格式不正确：应为 5 至 18 位数字或字母"}


def test_missing_number_and_bad_ids_are_422(client, clerk, world) -> None:  # type: ignore[no-untyped-def]
    assert client.get(URL, headers=clerk).status_code == 422
    assert client.get(f"{URL}/not-a-uuid", headers=clerk).status_code == 422
    assert client.post(f"{URL}/123/reveal", json={"reason": "核实"}, headers=clerk).status_code == 422
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=clerk).status_code == 404


def test_another_offices_operator_gets_the_same_404_as_for_nobody(client, runtime, world) -> None:  # type: ignore[no-untyped-def]
    east = staff_headers(client, runtime, role="admin", office=OTHER, username="east")
    unknown = client.get(URL, params={"id_number": "110101199001010011"}, headers=east)
    theirs = client.get(URL, params={"id_number": ZHANG_SAN[1]}, headers=east)
    assert unknown.status_code == theirs.status_code == 404
    assert unknown.json() == theirs.json()
    assert client.get(f"{URL}/{world.zhang.id}", headers=east).status_code == 404
    assert (
        client.post(f"{URL}/{world.zhang.id}/reveal", json={"reason": "核实"}, headers=east).status_code
        == 404
    )
    everyone = staff_headers(client, runtime, role="admin", office=None, username="root")
    assert client.get(URL, params={"id_number": ZHANG_SAN[1]}, headers=everyone).status_code == 200


def test_reveal_answers_plain_data_audited_and_needs_a_reason(client, runtime, clerk, world, session) -> None:  # type: ignore[no-untyped-def]
    url = f"{URL}/{world.zhang.id}/reveal"
    for body in ({}, {"reason": "   "}):
        refused = client.post(url, json=body, headers=clerk)
        assert refused.status_code == 422, refused.text
    shown = client.post(url, json={"reason": "缴费人来电核实身份"}, headers=clerk)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {
        "id": str(world.zhang.id),
        "id_type": "resident_id",
        "id_type_label": "居民身份证",
        "name": "张三",
        "id_number": ZHANG_SAN[1],
        "phone": "13812345678",
    }
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "console.payer_reveal")).all()
    assert [(r.actor_id, r.object_id, r.after) for r in rows] == [
        (
            "clerk",
            str(world.zhang.id),
            {"fields": ["name", "id_number", "phone"], "reason": "缴费人来电核实身份"},
        )
    ]
    viewer = staff_headers(client, runtime, role="viewer", office=HOME, username="viewer")
    assert client.post(url, json={"reason": "核实"}, headers=viewer).status_code == 403
    assert client.get(f"{URL}/{world.zhang.id}", headers=viewer).status_code == 200


def test_the_audit_search_finds_the_reveal_by_the_payers_number(client, runtime, clerk, world) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.post(f"{URL}/{world.zhang.id}/reveal", json={"reason": "核实"}, headers=clerk).status_code
        == 200
    )
    found = client.get(
        "/api/v1/console/audit",
        params={"id_number": ZHANG_SAN[1], "action": "console.payer_reveal"},
        headers=clerk,
    )
    assert found.status_code == 200, found.text
    assert [(r["actor_id"], r["object_id"]) for r in found.json()["items"]] == [
        ("clerk", str(world.zhang.id))
    ]
    assert found.json()["next_cursor"] is None
    east = staff_headers(client, runtime, role="admin", office=OTHER, username="east")
    assert (
        client.get("/api/v1/console/audit", params={"id_number": ZHANG_SAN[1]}, headers=east).json()["items"]
        == []
    )
    for bad in (
        {"from": "2025-13-01"},
        {"from": "2025-12-02", "to": "2025-12-01"},
        {"id_number": "!!"},
        {"cursor": "x"},
    ):
        assert client.get("/api/v1/console/audit", params=bad, headers=clerk).status_code == 422, bad
