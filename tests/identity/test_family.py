from __future__ import annotations

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.errors import NotFound
from shebao.identity.access import Viewer, insured_for
from shebao.identity.models import FamilyMember
from tests.support.people import LI_SI, WANG_WU, ZHANG_SAN, bearer_for, make_person


@pytest.fixture
def people(runtime):  # type: ignore[no-untyped-def]
    return {
        "zhang": make_person(runtime, *ZHANG_SAN),
        "li": make_person(runtime, *LI_SI, phone="13900001111"),
        "wang": make_person(runtime, *WANG_WU, phone="13700002222"),
    }


def _add(client, headers, name: str, id_number: str, relation: str = "parent"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/family",
        headers=headers,
        json={"name": name, "id_type": "resident_id", "id_number": id_number, "relation": relation},
    )


def test_add_list_and_remove_a_family_member(client, runtime, people) -> None:  # type: ignore[no-untyped-def]
    headers = bearer_for(runtime, people["zhang"])
    added = _add(client, headers, *LI_SI)
    assert added.status_code == 201
    member = added.json()
    assert {
        k: member[k] for k in ("name", "id_type_label", "id_number", "relation", "relation_label", "consent")
    } == {
        "name": "*四",
        "id_type_label": "居民身份证",
        "id_number": "370101********9973",
        "relation": "parent",
        "relation_label": "父母",
        "consent": False,
    }
    assert [m["id"] for m in client.get("/api/v1/family", headers=headers).json()["items"]] == [member["id"]]
    assert _add(client, headers, *LI_SI).status_code == 409
    assert client.delete(f"/api/v1/family/{member['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/family", headers=headers).json()["items"] == []
    with runtime.db.session() as s:
        row = s.get(FamilyMember, __import__("uuid").UUID(member["id"]))
        assert row is not None and row.removed_at is not None  # kept, for the history it explains
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.occurred_at)).all()
    assert actions == ["family.add", "family.remove"]


def test_member_must_match_the_registry_with_the_login_answer(client, runtime, people) -> None:  # type: ignore[no-untyped-def]
    headers = bearer_for(runtime, people["zhang"])
    wrong = _add(client, headers, "李四四", LI_SI[1])
    unknown = _add(client, headers, "赵六", "110101200001010010")
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"] == "姓名与证件号码不一致"
    assert _add(client, headers, *ZHANG_SAN).json()["error"]["message"] == "不能添加本人为家庭成员"
    bad = _add(client, headers, "李四", LI_SI[1], relation="cousin")
    assert bad.status_code == 422


def test_adding_members_is_rate_limited(client, runtime, people) -> None:  # type: ignore[no-untyped-def]
    headers = bearer_for(runtime, people["zhang"])
    statuses = [_add(client, headers, "不存在", "110101200001010010").status_code for _ in range(11)]
    assert statuses == [422] * 10 + [429]


def test_another_payers_member_is_404_everywhere(client, runtime, people) -> None:  # type: ignore[no-untyped-def]
    zhang, wang = bearer_for(runtime, people["zhang"]), bearer_for(runtime, people["wang"])
    member_id = _add(client, zhang, *LI_SI).json()["id"]
    assert client.delete(f"/api/v1/family/{member_id}", headers=wang).status_code == 404
    assert client.delete("/api/v1/family/not-an-id", headers=wang).status_code == 422
    with runtime.db.session() as s:
        with pytest.raises(NotFound):
            insured_for(s, people["wang"], member_id)
        assert insured_for(s, people["zhang"], member_id).id == people["li"].id
        assert insured_for(s, people["zhang"], None).id == people["zhang"].id


def test_consent_is_given_from_the_members_own_login(client, runtime, people) -> None:  # type: ignore[no-untyped-def]
    zhang, li = bearer_for(runtime, people["zhang"]), bearer_for(runtime, people["li"])
    family_id = _add(client, zhang, *LI_SI).json()["id"]
    with runtime.db.session() as s:
        assert Viewer.of(s, people["zhang"]).has_consent(people["li"].id) is False
    # The payer cannot consent on the member's behalf.
    assert client.post(f"/api/v1/consents/{family_id}", headers=zhang).status_code == 404
    listed = client.get("/api/v1/consents", headers=li).json()["items"]
    assert listed == [{"family_id": family_id, "payer_name": "*三", "granted": False}]
    assert client.post(f"/api/v1/consents/{family_id}", headers=li).status_code == 200
    with runtime.db.session() as s:
        assert Viewer.of(s, people["zhang"]).has_consent(people["li"].id) is True
    assert client.get("/api/v1/family", headers=zhang).json()["items"][0]["consent"] is True
    assert client.delete(f"/api/v1/consents/{family_id}", headers=li).status_code == 204
    assert client.post(f"/api/v1/consents/{family_id}", headers=li).status_code == 200  # grant again
    with runtime.db.session() as s:
        assert Viewer.of(s, people["zhang"]).has_consent(people["li"].id) is True


def test_not_logged_in_is_401(client) -> None:  # type: ignore[no-untyped-def]
    for method, path in [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/family"),
        ("post", "/api/v1/family"),
        ("post", "/api/v1/auth/logout"),
    ]:
        answer = getattr(client, method)(path)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "not_logged_in"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401
