from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.declarations import taxcore
from shebao.declarations.models import Declaration
from shebao.kit.ids import new_id
from shebao.settlement.declaration import DeadlinePassed, check_can_pay
from shebao.settlement.settle import do_mark_paid
from tests.support.people import bearer_for, transaction
from tests.support.world import payable_ids

TAX_OFFICE, AGENCY = "11101020001", "SB110102"


def _declare(client, headers, ids, **extra):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/declarations", json={"payable_ids": ids, **extra}, headers=headers)


def test_declare_resident_medical_fixes_the_total_and_deadline(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    assert len(ids) == 1
    answer = _declare(client, world.zhang_headers, ids)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {
        k: body[k]
        for k in (
            "status",
            "status_label",
            "payment_status",
            "kind",
            "kind_label",
            "channel",
            "total_fen",
            "late_fee_fen",
            "deadline",
            "period_start",
            "period_end",
            "declared_for_other",
        )
    } == {
        "status": "succeeded",
        "status_label": "申报成功",
        "payment_status": "unpaid",
        "kind": "normal",
        "kind_label": "正常缴费",
        "channel": "h5",
        "total_fen": 79500,
        "late_fee_fen": 0,
        "deadline": "2025-12-31",
        "period_start": "2026-01",
        "period_end": "2026-12",
        "declared_for_other": False,
    }
    assert body["tax_office"] == {
        "code": "11101020001",
        "name": "国家税务总局北京市西城区税务局 什刹海税务所",
    }
    assert body["insured"]["id_number"] == "110101********1823"
    assert [(i["levy_item"], i["amount_fen"]) for i in body["items"]] == [("城乡居民基本医疗保险费", 79500)]
    assert payable_ids(client, world.zhang_headers, "resident_medical", status="declared") == ids
    with runtime.db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "declaration.declare")).one()
    assert entry.object_id == body["id"] and entry.after["total_fen"] == 79500
    assert entry.actor_id == str(world.zhang.id) and entry.channel == "h5"


def test_declaring_twice_or_after_payment_is_409(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    first = _declare(client, world.zhang_headers, ids).json()
    again = _declare(client, world.zhang_headers, ids)
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "payable_already_declared",
        "message": "所选缴费数据已申报，请勿重复申报",
    }
    with transaction(runtime) as s:
        do_mark_paid(s, s.get(Declaration, __import__("uuid").UUID(first["id"])), at=runtime.clock.now())
    paid = _declare(client, world.zhang_headers, ids)
    assert paid.status_code == 409
    assert paid.json()["error"]["message"] == "所选缴费数据已缴款，无需再次申报"
    void = client.post(f"/api/v1/declarations/{first['id']}/void", headers=world.zhang_headers)
    assert void.status_code == 409
    assert void.json()["error"]["message"] == "该申报已缴款，不能作废"


def test_void_returns_payables_and_is_audited(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    declared = _declare(client, world.zhang_headers, ids).json()
    voided = client.post(f"/api/v1/declarations/{declared['id']}/void", headers=world.zhang_headers)
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided"
    assert payable_ids(client, world.zhang_headers, "resident_medical") == ids
    again = client.post(f"/api/v1/declarations/{declared['id']}/void", headers=world.zhang_headers)
    assert again.status_code == 409 and again.json()["error"]["message"] == "该申报已作废"
    with runtime.db.session() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == declared["id"])
            .order_by(AuditEntry.occurred_at)
        ).all()
    assert actions == ["declaration.declare", "declaration.void"]
    # Declared again after voiding: a new declaration.
    assert _declare(client, world.zhang_headers, ids).status_code == 201


def test_someone_elses_payable_and_declaration_are_404(client, world) -> None:  # type: ignore[no-untyped-def]
    zhang_ids = payable_ids(client, world.zhang_headers, "resident_medical")
    stolen = _declare(client, world.wang_headers, zhang_ids)
    assert stolen.status_code == 404
    assert stolen.json()["error"]["message"] == "未找到所选的应缴费信息"
    declared = _declare(client, world.zhang_headers, zhang_ids).json()
    for method, path in [
        ("get", f"/api/v1/declarations/{declared['id']}"),
        ("post", f"/api/v1/declarations/{declared['id']}/void"),
    ]:
        assert getattr(client, method)(path, headers=world.wang_headers).status_code == 404
    assert client.get("/api/v1/declarations", headers=world.wang_headers).json()["items"] == []


def test_malformed_ids_are_422_naming_the_field(client, world) -> None:  # type: ignore[no-untyped-def]
    malformed = client.get("/api/v1/declarations/not-a-uuid", headers=world.wang_headers)
    assert malformed.status_code == 422
    assert malformed.json()["error"] == {
        "code": "validation_failed",
        "message": "申报编号格式不正确",
        "fields": {"declaration_id": "申报编号格式不正确"},
    }
    garbage = _declare(client, world.zhang_headers, ["garbage"])
    assert garbage.status_code == 422
    assert garbage.json()["error"]["fields"] == {"payable_ids.0": "应缴费编号格式不正确"}
    member = client.get("/api/v1/declarations", params={"payer_id": "w"}, headers=world.zhang_headers)
    assert member.status_code == 422
    assert member.json()["error"]["message"] == "缴费对象（家庭成员编号）格式不正确"


def test_client_sent_amounts_are_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    forged = _declare(client, world.zhang_headers, ids, total_fen=1)
    assert forged.status_code == 422
    not_pension = _declare(client, world.zhang_headers, ids, annual_amount_fen=100000)
    assert not_pension.status_code == 422
    assert not_pension.json()["error"]["message"] == "只有城乡居民养老保险可以选择缴费金额"
    assert _declare(client, world.zhang_headers, []).status_code == 422
    assert payable_ids(client, world.zhang_headers, "resident_medical") == ids


@pytest.mark.parametrize(
    ("amount", "status", "total"),
    [
        (None, 201, 100000),
        (200000, 201, 200000),
        (900000, 201, 900000),
        (100050, 422, None),
        (900100, 422, None),
        (99900, 422, None),
    ],
)
def test_pension_amount_rules(client, world, amount, status, total) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.li_headers, "resident_pension")
    extra = {} if amount is None else {"annual_amount_fen": amount}
    answer = _declare(client, world.li_headers, ids, **extra)
    assert answer.status_code == status, answer.text
    if total is not None:
        assert answer.json()["total_fen"] == total
    else:
        assert answer.json()["error"]["message"] == "缴费金额须为1000至9000元之间的整元金额"


def test_flexible_back_payment_carries_its_late_fee_and_todays_deadline(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    items = client.get(
        "/api/v1/payables", params={"scheme": "flexible_employment"}, headers=world.wang_headers
    ).json()["items"]
    september = [i["id"] for i in items if i["period_start"] == "2025-09"]
    assert len(september) == 2
    body = _declare(client, world.wang_headers, september).json()
    # 2025-09 is due 2025-10-31: 20 days late on 2025-11-20 at 0.05% a day.
    assert [(i["levy_item"], i["base_amount_fen"], i["late_fee_fen"]) for i in body["items"]] == [
        ("基本养老保险基金收入", 200000, 2000),
        ("基本医疗保险基金收入", 70000, 700),
    ]
    assert (body["kind"], body["total_fen"], body["late_fee_fen"], body["deadline"]) == (
        "back_payment",
        272700,
        2700,
        "2025-11-20",
    )
    november = [i["id"] for i in items if i["period_start"] == "2025-11"]
    current = _declare(client, world.wang_headers, november).json()
    assert (current["kind"], current["total_fen"], current["deadline"]) == ("normal", 270000, "2025-12-31")
    with runtime.db.session() as s:
        late = s.get(Declaration, __import__("uuid").UUID(body["id"]))
        check_can_pay(late, date(2025, 11, 20))
        with pytest.raises(DeadlinePassed, match="已超过缴款期限"):
            check_can_pay(late, date(2025, 11, 21))


def test_mixed_selection_is_refused(client, world) -> None:  # type: ignore[no-untyped-def]
    medical = payable_ids(client, world.li_headers, "resident_medical")
    pension = payable_ids(client, world.li_headers, "resident_pension")
    answer = _declare(client, world.li_headers, medical + pension)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "mixed_selection"


def test_outside_the_window_says_when_it_opens(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical")
    with transaction(runtime) as s:
        runtime.clock.move_to(s, datetime.fromisoformat("2026-01-05T09:00:00+08:00"))
    answer = _declare(client, bearer_for(runtime, world.zhang), ids)  # the old session idled out
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "outside_collection_window"
    assert answer.json()["error"]["message"].startswith("集中缴费期为每年9月1日至12月31日")


def test_processing_declaration_can_be_neither_paid_nor_voided(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    taxcore.use(taxcore.DeferredTaxCore())
    try:
        body = _declare(
            client, world.zhang_headers, payable_ids(client, world.zhang_headers, "resident_medical")
        ).json()
    finally:
        taxcore.use(taxcore.BuiltinTaxCore())
    assert (body["status"], body["status_label"]) == ("processing", "申报处理中")
    void = client.post(f"/api/v1/declarations/{body['id']}/void", headers=world.zhang_headers)
    assert void.status_code == 409 and void.json()["error"]["message"] == "申报处理中，暂不能作废"
    with runtime.db.session() as s:
        from shebao.declarations.errors import DeclarationProcessing

        with pytest.raises(DeclarationProcessing):
            check_can_pay(s.get(Declaration, __import__("uuid").UUID(body["id"])), date(2025, 11, 20))


def test_declaring_for_a_family_member(client, world) -> None:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, world.zhang_headers, "resident_medical", payer_id=world.li_family_id)
    answer = _declare(client, world.zhang_headers, ids, payer_id=world.li_family_id)
    assert answer.status_code == 201
    body = answer.json()
    assert body["declared_for_other"] is True and body["total_fen"] == 46000  # 2026 elderly: 460 yuan
    assert body["insured"]["name"] == "*四"
    mine = client.get("/api/v1/declarations", headers=world.zhang_headers).json()["items"]
    assert [d["id"] for d in mine] == [body["id"]]
    theirs = client.get("/api/v1/declarations", headers=world.li_headers).json()["items"]
    assert [d["id"] for d in theirs] == [body["id"]]
    assert (
        client.get(
            "/api/v1/declarations", params={"payer_id": world.li_family_id}, headers=world.zhang_headers
        ).json()["items"][0]["id"]
        == body["id"]
    )
    assert _declare(client, world.wang_headers, ids, payer_id=world.li_family_id).status_code == 404


def test_date_filters_are_inclusive_in_shanghai(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    body = _declare(
        client, world.zhang_headers, payable_ids(client, world.zhang_headers, "resident_medical")
    ).json()

    def listed(**params: str) -> list[str]:
        answer = client.get("/api/v1/declarations", params=params, headers=world.zhang_headers)
        assert answer.status_code == 200, answer.text
        return [d["id"] for d in answer.json()["items"]]

    assert listed(declared_from="2025-11-20", declared_to="2025-11-20") == [body["id"]]
    assert listed(declared_from="2025-11-21") == []
    assert listed(declared_to="2025-11-19") == []
    assert listed(scheme="resident_pension") == []
    bad = client.get(
        "/api/v1/declarations",
        params={"declared_from": "2025-12-01", "declared_to": "2025-11-01"},
        headers=world.zhang_headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["message"] == "申报日期起不能晚于申报日期止"
    assert (
        client.get(
            "/api/v1/declarations", params={"declared_from": "nope"}, headers=world.zhang_headers
        ).status_code
        == 422
    )
    assert (
        client.get("/api/v1/declarations", params={"scheme": "nope"}, headers=world.zhang_headers).status_code
        == 422
    )


class TestPaging:
    """GET /api/v1/declarations pages by (declared_at, id), newest first: every row exactly once."""

    def _declarations(self, runtime, world, count: int) -> list[Declaration]:  # type: ignore[no-untyped-def]
        # Two declarations per second, so the order needs the id to break ties between pages.
        start = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)
        rows = [
            Declaration(
                id=new_id(),
                person_id=world.zhang.id,
                declared_by_id=world.zhang.id,
                scheme="resident_medical",
                kind="normal",
                channel="h5",
                tax_office_code=TAX_OFFICE,
                agency_code=AGENCY,
                period_start="2026-01",
                period_end="2026-12",
                total_fen=38_000,
                late_fee_fen=0,
                status="voided",
                deadline=date(2026, 12, 31),
                declared_at=start + timedelta(seconds=index // 2),
            )
            for index in range(count)
        ]
        with transaction(runtime) as session:
            session.add_all(rows)
        return sorted(rows, key=lambda d: (d.declared_at, d.id), reverse=True)

    def test_250_declarations_in_three_pages_each_once_in_order(self, client, runtime, world) -> None:  # type: ignore[no-untyped-def]
        expected = [str(d.id) for d in self._declarations(runtime, world, 250)]
        seen, sizes, cursor = [], [], None
        while True:
            params = {"cursor": cursor} if cursor else {}
            answer = client.get("/api/v1/declarations", params=params, headers=world.zhang_headers)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            sizes.append(len(body["items"]))
            seen += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sizes == [100, 100, 50]
        assert seen == expected

    def test_a_limit_pages_by_that_size(self, client, runtime, world) -> None:  # type: ignore[no-untyped-def]
        expected = [str(d.id) for d in self._declarations(runtime, world, 7)]
        first = client.get("/api/v1/declarations", params={"limit": 5}, headers=world.zhang_headers).json()
        assert [item["id"] for item in first["items"]] == expected[:5]
        second = client.get(
            "/api/v1/declarations",
            params={"limit": 5, "cursor": first["next_cursor"]},
            headers=world.zhang_headers,
        ).json()
        assert [item["id"] for item in second["items"]] == expected[5:]
        assert second["next_cursor"] is None
