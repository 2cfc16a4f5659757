"""缴费金额设置 (1.7) and 缴费金额作废 (1.8) through `/api/v1/contribution-settings`: every rule, and the
bad input the issue lists (a clear Chinese message, 4xx, nothing changed)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.deductions.models import ContributionSetting
from tests.support.agreements import CHAOYANG_OFFICE, ZHANG_OTHER_CARD, open_account, signed
from tests.support.deductions import SETTINGS, agreements, create, setting_body
from tests.support.people import add_family


def _count(runtime) -> int:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found: int = s.scalar(select(func.count()).select_from(ContributionSetting))
        return found


def _audit(runtime, setting_id: str) -> list[tuple[str, Any, Any]]:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "contribution_setting", AuditEntry.object_id == setting_id)
            .order_by(AuditEntry.occurred_at, AuditEntry.id)
        )
        return [(r.action, r.before, r.after) for r in rows]


@pytest.fixture
def ids(client, runtime, world, routed) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return agreements(client, runtime, world)


def test_a_payer_sets_a_family_members_pension_on_the_payers_own_agreement(
    client, runtime, world, ids
) -> None:  # type: ignore[no-untyped-def]
    body = create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id)
    assert {
        k: body[k] for k in ("status", "status_label", "scheme", "scheme_label", "annual_amount_fen")
    } == {
        "status": "active",
        "status_label": "有效",
        "scheme": "resident_pension",
        "scheme_label": "城乡居民养老保险",
        "annual_amount_fen": 300_000,
    }
    assert (body["valid_from"], body["valid_to"], body["agreement_id"], body["deductions"]) == (
        2025,
        2026,
        ids["zhang"],
        [],
    )
    assert (body["person_name"], body["for_self"], body["account_no"], body["bank_name"]) == (
        "*四",
        False,
        "622202*********0117",
        "中国工商银行",
    )
    assert body["tax_office_code"] == "11101020001"
    assert [a for a, _, _ in _audit(runtime, body["id"])] == ["contribution_setting.create"]
    # Both see it: the payer who set it, and the insured person.
    assert [s["id"] for s in client.get(SETTINGS, headers=world.zhang_headers).json()["items"]] == [
        body["id"]
    ]
    assert [s["id"] for s in client.get(SETTINGS, headers=world.li_headers).json()["items"]] == [body["id"]]
    only_li = client.get(SETTINGS, params={"payer_id": world.li_family_id}, headers=world.zhang_headers)
    assert [s["id"] for s in only_li.json()["items"]] == [body["id"]]
    one = client.get(f"{SETTINGS}/{body['id']}", headers=world.li_headers)
    assert one.status_code == 200 and one.json()["for_self"] is True


def test_medical_is_at_the_policy_amount(client, world, ids) -> None:  # type: ignore[no-untyped-def]
    body = create(
        client,
        world.zhang_headers,
        ids["zhang"],
        scheme="resident_medical",
        annual_amount_fen=None,
        valid_from=2026,
    )
    assert (body["scheme"], body["annual_amount_fen"], body["valid_from"]) == (
        "resident_medical",
        79_500,
        2026,
    )


def test_one_active_setting_per_person_scheme_and_overlapping_years(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    first = create(client, world.li_headers, ids["li"], valid_from=2025, valid_to=2025)
    clash = client.post(
        SETTINGS, json=setting_body(ids["zhang"], payer_id=world.li_family_id), headers=world.zhang_headers
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["message"] == (
        "该缴费对象城乡居民养老保险2025至2025年度已有有效的缴费金额设置，请先作废后再设置"
    )
    create(client, world.li_headers, ids["li"], valid_from=2026, valid_to=2026)  # no overlap: fine
    create(
        client, world.li_headers, ids["li"], scheme="resident_medical", annual_amount_fen=None
    )  # another scheme
    voided = client.post(f"{SETTINGS}/{first['id']}/void", headers=world.li_headers)
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    again = create(
        client, world.li_headers, ids["li"], valid_from=2025, valid_to=2025, annual_amount_fen=500_000
    )
    assert again["annual_amount_fen"] == 500_000
    assert _count(runtime) == 4


def test_void_moves_once_with_its_audit_row(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    body = create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id)
    voided = client.post(f"{SETTINGS}/{body['id']}/void", headers=world.zhang_headers)
    assert voided.status_code == 200
    assert (voided.json()["status"], voided.json()["status_label"]) == ("voided", "已作废")
    assert voided.json()["voided_at"] is not None
    twice = client.post(f"{SETTINGS}/{body['id']}/void", headers=world.li_headers)  # the insured person
    assert twice.status_code == 409
    assert twice.json()["error"] == {
        "code": "contribution_setting_voided",
        "message": "该缴费金额设置已作废，无需重复作废",
    }
    assert _audit(runtime, body["id"]) == [
        ("contribution_setting.create", None, _audit(runtime, body["id"])[0][2]),
        ("contribution_setting.voided", {"status": "active"}, {"status": "voided"}),
    ]


def test_another_payers_setting_is_not_found(client, world, ids) -> None:  # type: ignore[no-untyped-def]
    body = create(client, world.zhang_headers, ids["zhang"], payer_id=world.li_family_id)
    for answer in (
        client.get(f"{SETTINGS}/{body['id']}", headers=world.wang_headers),
        client.post(f"{SETTINGS}/{body['id']}/void", headers=world.wang_headers),
        client.post(f"{SETTINGS}/{uuid.uuid4()}/void", headers=world.zhang_headers),
    ):
        assert answer.status_code == 404
        assert answer.json()["error"]["message"] == "未找到该缴费金额设置"
    assert client.get(SETTINGS, headers=world.wang_headers).json()["items"] == []
    malformed = client.post(f"{SETTINGS}/not-a-uuid/void", headers=world.zhang_headers)
    assert malformed.status_code == 422


def _refusals(world, ids) -> list[tuple[dict[str, str], dict[str, Any], int, str]]:  # type: ignore[no-untyped-def]
    li, zhang = world.li_headers, world.zhang_headers
    fam = world.li_family_id
    return [
        (
            zhang,
            setting_body(ids["zhang"], scheme="flexible_employment"),
            422,
            "灵活就业人员社保费不能设置缴费金额，缴费金额设置只支持城乡居民（养老保险、基本医疗保险）",
        ),
        (
            zhang,
            setting_body(ids["zhang"], scheme="pension"),
            422,
            "请选择险种：城乡居民养老保险或城乡居民基本医疗保险",
        ),
        (
            li,
            setting_body(ids["li"], annual_amount_fen=90_000),
            422,
            "2025年度缴费金额须为1000至9000元之间的整元金额",
        ),
        (
            li,
            setting_body(ids["li"], annual_amount_fen=900_100),
            422,
            "2025年度缴费金额须为1000至9000元之间的整元金额",
        ),
        (
            li,
            setting_body(ids["li"], annual_amount_fen=300_050),
            422,
            "2025年度缴费金额须为1000至9000元之间的整元金额",
        ),
        (li, setting_body(ids["li"], annual_amount_fen=None), 422, "请选择或填写缴费金额"),
        (
            li,
            setting_body(ids["li"], scheme="resident_medical"),
            422,
            "城乡居民基本医疗保险按政策标准缴费，不能设置缴费金额",
        ),
        (
            li,
            setting_body(ids["li"], valid_from=2026, valid_to=2025),
            422,
            "有效期起（2026年）不能晚于有效期止（2025年）",
        ),
        (li, setting_body(ids["li"], valid_from=2024), 422, "有效期起不能早于2025年"),
        (
            li,
            setting_body(ids["li"], valid_to=2027),
            422,
            "2027年度的缴费标准尚未公布，有效期止请选择2026年或以前",
        ),
        (
            zhang,
            setting_body(ids["zhang"]),
            422,
            "未查询到缴费对象的城乡居民养老保险参保信息，不能设置缴费金额",
        ),
        (
            zhang,
            setting_body(ids["li"], payer_id=fam),
            404,
            "未找到该缴费协议：只能使用缴费人本人签订的缴费协议",
        ),
        (li, setting_body(ids["zhang"]), 404, "未找到该缴费协议：只能使用缴费人本人签订的缴费协议"),
        (li, setting_body(str(uuid.uuid4())), 404, "未找到该缴费协议：只能使用缴费人本人签订的缴费协议"),
        (world.wang_headers, setting_body(ids["zhang"], payer_id=fam), 404, "未找到该家庭成员"),
    ]


def test_bad_input_is_a_clear_4xx_and_changes_nothing(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    for headers, body, code, message in _refusals(world, ids):
        answer = client.post(SETTINGS, json=body, headers=headers)
        assert (answer.status_code, answer.json()["error"]["message"]) == (code, message), body
    for body in (
        {"scheme": "resident_pension"},
        {**setting_body(ids["li"]), "valid_from": "明年"},
        {**setting_body(ids["li"]), "extra": 1},
    ):
        answer = client.post(SETTINGS, json=body, headers=world.li_headers)
        assert answer.status_code == 422 and answer.json()["error"]["message"], body
    assert _count(runtime) == 0


def test_a_revoked_agreement_or_another_tax_office_is_refused(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_OTHER_CARD, "张三")
    other_office = signed(
        client, world.zhang_headers, account_no=ZHANG_OTHER_CARD, tax_office_code=CHAOYANG_OFFICE
    )
    answer = client.post(
        SETTINGS,
        json=setting_body(other_office["id"], payer_id=world.li_family_id),
        headers=world.zhang_headers,
    )
    assert answer.status_code == 409
    assert (
        answer.json()["error"]["message"]
        == "缴费协议的税务机关与缴费对象的主管税务机关不一致，请选择该税务机关的协议"
    )
    assert client.post(f"/api/v1/agreements/{ids['li']}/revoke", headers=world.li_headers).status_code == 200
    revoked = client.post(SETTINGS, json=setting_body(ids["li"]), headers=world.li_headers)
    assert (revoked.status_code, revoked.json()["error"]["message"]) == (
        409,
        "该缴费协议已撤销，请选择其他协议或重新签订",
    )
    assert _count(runtime) == 0


def test_a_pending_agreement_may_be_chosen(client, runtime, world, routed) -> None:  # type: ignore[no-untyped-def]
    open_account(client, ZHANG_OTHER_CARD, "张三")
    pending = signed(client, world.zhang_headers, account_no=ZHANG_OTHER_CARD)
    assert pending["status"] == "pending"
    body = create(client, world.zhang_headers, pending["id"], payer_id=world.li_family_id)
    assert body["status"] == "active"


def test_a_member_who_left_the_family_is_no_longer_whom_a_payer_sets_for(client, runtime, world, ids) -> None:  # type: ignore[no-untyped-def]
    removed = client.delete(f"/api/v1/family/{world.li_family_id}", headers=world.zhang_headers)
    assert removed.status_code in (200, 204)
    answer = client.post(
        SETTINGS, json=setting_body(ids["zhang"], payer_id=world.li_family_id), headers=world.zhang_headers
    )
    assert (answer.status_code, answer.json()["error"]["message"]) == (404, "未找到该家庭成员")
    add_family(runtime, world.zhang, world.li)  # a new link, a new id
    assert _count(runtime) == 0
