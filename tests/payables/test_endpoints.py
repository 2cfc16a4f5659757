"""GET /api/v1/payables: the payer's and a family member's payables, amounts with late fees to today."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.kit.ids import new_id
from shebao.payables.models import Payable
from shebao.runtime import Runtime
from tests.support.enrolment import (
    LI_SI,
    WANG_WU,
    ZHANG_SAN,
    do_import,
    flexible_row,
    medical_row,
    pension_row,
)
from tests.support.people import add_family, bearer_for, make_person, transaction

URL = "/api/v1/payables"


def login(runtime: Runtime, person: tuple[str, str]) -> dict[str, str]:
    return bearer_for(runtime, make_person(runtime, *person))


class TestList:
    def test_fields_of_every_scheme(self, client: TestClient, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-11-20T09:00:00+08:00")
        do_import(
            runtime,
            [
                medical_row(WANG_WU, "elderly"),
                pension_row(WANG_WU, amount="2000"),
                flexible_row(WANG_WU, types="pension", start="2025-11"),
            ],
        )
        body = client.get(URL, headers=login(runtime, WANG_WU)).json()
        assert body["as_of"] == "2025-11-20"
        items = body["items"]
        assert [
            (i["scheme"], i["levy_item"], i["period_start"], i["period_end"], i["amount_fen"]) for i in items
        ] == [
            ("resident_medical", "城乡居民基本医疗保险费", "2026-01", "2026-12", 46000),
            ("resident_pension", "城乡居民基本养老保险费", "2025-01", "2025-12", 200000),
            ("flexible_employment", "基本养老保险基金收入", "2025-11", "2025-11", 200000),
        ]
        first = items[0]
        uuid.UUID(first["id"])
        assert {k: v for k, v in first.items() if k != "id"} == {
            "scheme": "resident_medical",
            "scheme_label": "城乡居民基本医疗保险",
            "insurance_type": None,
            "insurance_type_label": None,
            "levy_item": "城乡居民基本医疗保险费",
            "period_start": "2026-01",
            "period_end": "2026-12",
            "base_amount_fen": 46000,
            "late_fee_fen": 0,
            "amount_fen": 46000,
            "due_date": "2025-12-31",
            "overdue": False,
            "status": "to_declare",
            "status_label": "待申报",
            "tax_office": {"code": "11101020001", "name": "国家税务总局北京市西城区税务局 什刹海税务所"},
            "agency": {"code": "SB110102", "name": "北京市西城区社会保险事业管理中心"},
            "insured": {"name": "*五", "id_type": "居民身份证", "id_number": "110105********002X"},
            "declaration_id": None,
        }
        assert items[2]["insurance_type"] == "pension" and items[2]["insurance_type_label"] == "基本养老保险"
        assert items[2]["agency"] == {"code": "SB110108", "name": "北京市海淀区社会保险事业管理中心"}
        assert body["to_declare_total_fen"] == 46000 + 200000 + 200000

    def test_filters(self, client: TestClient, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-11-20T09:00:00+08:00")
        do_import(runtime, [medical_row(), flexible_row(ZHANG_SAN, start="2025-10")])
        headers = login(runtime, ZHANG_SAN)
        assert len(client.get(URL, headers=headers).json()["items"]) == 9
        flexible = client.get(URL, params={"scheme": "flexible_employment"}, headers=headers).json()["items"]
        assert [(i["period_start"], i["insurance_type"]) for i in flexible[:4]] == [
            ("2025-10", "pension"),
            ("2025-10", "unemployment"),
            ("2025-10", "medical"),
            ("2025-10", "work_injury"),
        ]
        assert (
            len(
                client.get(URL, params={"status": "to_declare", "scheme": ""}, headers=headers).json()[
                    "items"
                ]
            )
            == 9
        )
        assert client.get(URL, params={"status": "paid"}, headers=headers).json()["items"] == []

    def test_nothing_enrolled(self, client: TestClient, runtime: Runtime) -> None:
        body = client.get(URL, headers=login(runtime, ZHANG_SAN)).json()
        assert body["items"] == [] and body["to_declare_total_fen"] == 0


class TestLateFee:
    """A worked example: 2025-09 pension at a 10000-yuan base is 2000.00 yuan, due 2025-10-31;
    from 2025-11-01 it carries 0.05% a day (1.00 yuan), counted in Asia/Shanghai."""

    @pytest.mark.parametrize(
        ("now", "late_fee"),
        [
            ("2025-10-31T23:30:00+08:00", 0),  # still the due date in Beijing (15:30 UTC)
            ("2025-11-01T00:30:00+08:00", 100),  # the day after (still Oct 31 in UTC)
            ("2025-11-30T09:00:00+08:00", 3000),
            ("2025-12-01T09:00:00+08:00", 3100),  # over the month boundary
        ],
    )
    def test_accrues_daily_to_today(
        self, client: TestClient, runtime: Runtime, set_now, now: str, late_fee: int
    ) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-10-20T09:00:00+08:00")
        do_import(runtime, [flexible_row(types="pension", start="2025-09", end="2025-09")])
        set_now(now)
        headers = login(runtime, LI_SI)  # a session opened at the new time (moving the clock ends idle ones)
        [item] = client.get(URL, headers=headers).json()["items"]
        assert (item["period_start"], item["due_date"]) == ("2025-09", "2025-10-31")
        assert (item["base_amount_fen"], item["late_fee_fen"], item["amount_fen"]) == (
            200000,
            late_fee,
            200000 + late_fee,
        )
        assert item["overdue"] is (late_fee > 0)

    def test_a_month_over_several_months(self, client: TestClient, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-11-20T09:00:00+08:00")
        do_import(runtime, [flexible_row(types="pension;work_injury", start="2025-05", end="2025-05")])
        items = client.get(URL, headers=login(runtime, LI_SI)).json()["items"]
        # due 2025-06-30; 143 days to 2025-11-20: 200000 × 0.0005 × 143 = 14300; 2000 × 0.0005 × 143 = 143
        assert [(i["insurance_type"], i["late_fee_fen"], i["amount_fen"]) for i in items] == [
            ("pension", 14300, 214300),
            ("work_injury", 143, 2143),
        ]


class TestWhose:
    def test_a_family_member_via_payer_id(self, client: TestClient, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-11-20T09:00:00+08:00")
        do_import(runtime, [medical_row(WANG_WU, "elderly"), medical_row(ZHANG_SAN)])
        payer = make_person(runtime, *ZHANG_SAN)
        member = make_person(runtime, *WANG_WU)
        family_id = add_family(runtime, payer, member, "parent")
        headers = bearer_for(runtime, payer)
        own = client.get(URL, headers=headers).json()["items"]
        theirs = client.get(URL, params={"payer_id": family_id}, headers=headers).json()["items"]
        assert [(i["amount_fen"], i["insured"]["name"]) for i in own] == [(79500, "*三")]
        assert [(i["amount_fen"], i["insured"]["name"]) for i in theirs] == [(46000, "*五")]

    @pytest.mark.parametrize("kind", ["stranger", "own_id", "uuid"])
    def test_someone_else_is_404(self, client: TestClient, runtime: Runtime, kind: str) -> None:
        do_import(runtime, [medical_row(WANG_WU, "elderly")])
        payer = make_person(runtime, *ZHANG_SAN)
        stranger = make_person(runtime, *LI_SI)
        other_family = add_family(runtime, stranger, make_person(runtime, *WANG_WU))
        payer_id = {
            "stranger": other_family,
            "own_id": str(payer.id),
            "uuid": str(uuid.uuid4()),
        }[kind]
        response = client.get(URL, params={"payer_id": payer_id}, headers=bearer_for(runtime, payer))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_not_logged_in_is_401(self, client: TestClient) -> None:
        response = client.get(URL)
        assert response.status_code == 401
        assert response.json()["error"] == {"code": "not_logged_in", "message": "请先登录"}
        assert client.get(URL, headers={"Authorization": "Bearer nope"}).status_code == 401


class TestBadFilters:
    @pytest.mark.parametrize(
        ("params", "fields"),
        [
            (
                {"scheme": "car_insurance"},
                {"scheme": "参保项目应为 resident_medical、resident_pension、flexible_employment 之一"},
            ),
            ({"status": "PAID"}, {"status": "状态应为 to_declare、declared、paid 之一"}),
            ({"payer_id": "x" * 65}, {"payer_id": "缴费对象（家庭成员编号）格式不正确"}),
        ],
    )
    def test_422_in_chinese(
        self, client: TestClient, runtime: Runtime, params: dict[str, str], fields: dict[str, str]
    ) -> None:
        response = client.get(URL, params=params, headers=login(runtime, ZHANG_SAN))
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_failed"
        assert error["fields"] == fields
        if "payer_id" in fields:  # typed: refused before the handler, by the request validation
            assert error["message"] == fields["payer_id"]
        else:
            assert error["message"] == "查询条件不正确：" + next(iter(fields.values()))


class TestPaging:
    """Pages in the guide's order (scheme, fee period, insurance type), the id breaking ties."""

    def test_250_payables_each_once_in_order_and_the_total_of_every_page(
        self,
        client: TestClient,
        runtime: Runtime,
        world,  # type: ignore[no-untyped-def]
    ) -> None:
        with transaction(runtime) as session:
            model = session.scalars(select(Payable).where(Payable.person_id == world.zhang.id)).one()
            rows = [
                Payable(
                    id=new_id(),
                    person_id=model.person_id,
                    enrolment_id=model.enrolment_id,
                    scheme=model.scheme,
                    insurance_type=None,
                    levy_item=f"paging-{index % 2}",  # two per fee period: ties the id breaks
                    period_start=f"{1990 + index // 24:04d}-{index // 2 % 12 + 1:02d}",
                    period_end=f"{1990 + index // 24:04d}-{index // 2 % 12 + 1:02d}",
                    base_amount_fen=100 + index,
                    due_date=model.due_date,
                    tax_office_code=model.tax_office_code,
                    agency_code=model.agency_code,
                    status="to_declare" if index % 5 else "paid",
                    created_at=model.created_at,
                    updated_at=model.updated_at,
                )
                for index in range(249)
            ]
            session.add_all(rows)
            rows.append(model)
            expected = [str(p.id) for p in sorted(rows, key=lambda p: (p.period_start, p.id))]
            to_declare = sum(p.base_amount_fen for p in rows if p.status == "to_declare")
        seen, sizes, totals, cursor = [], [], set(), None
        while True:
            answer = client.get(URL, params={"cursor": cursor} if cursor else {}, headers=world.zhang_headers)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            sizes.append(len(body["items"]))
            seen += [item["id"] for item in body["items"]]
            totals.add(body["to_declare_total_fen"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert sizes == [100, 100, 50]
        assert seen == expected
        assert totals == {to_declare}
