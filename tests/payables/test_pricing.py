"""payables/pricing.py: exact fen for every scheme, category and insurance type; clamping; windows."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from shebao.enrolment.terms import EnrolmentTerms
from shebao.kit.periods import Period
from shebao.payables.pricing import ItemKey, late_fee_fen, plan, price
from shebao.policy.tables import PolicyMissing, default_policy

POLICY = default_policy()
OFFICE = {"tax_office_code": "11101020001", "agency_code": "SB110102"}
TYPES = ("pension", "unemployment", "medical", "work_injury")


def medical(category: str) -> EnrolmentTerms:
    return EnrolmentTerms(scheme="resident_medical", category=category, **OFFICE)


def pension(amount_fen: int | None = None) -> EnrolmentTerms:
    return EnrolmentTerms(scheme="resident_pension", annual_amount_fen=amount_fen, **OFFICE)


def flexible(
    base_fen: int, start: str = "2025-01", end: str | None = None, types: tuple[str, ...] = TYPES
) -> EnrolmentTerms:
    return EnrolmentTerms(
        scheme="flexible_employment",
        insurance_types=types,
        monthly_base_fen=base_fen,
        period_start=Period.parse(start),
        period_end=Period.parse(end) if end else None,
        **OFFICE,
    )


def amounts(terms: EnrolmentTerms, period: str) -> dict[str, int]:
    return {
        kind: price(terms, POLICY, ItemKey(Period.parse(period), "flexible_employment", kind)).base_amount_fen
        for kind in terms.insurance_types
    }


class TestResidentMedical:
    @pytest.mark.parametrize(
        ("today", "category", "fen", "due"),
        [
            (date(2024, 10, 1), "student_child", 37500, date(2024, 12, 31)),
            (date(2024, 10, 1), "working_age", 70500, date(2024, 12, 31)),
            (date(2024, 10, 1), "elderly", 40000, date(2024, 12, 31)),
            (date(2025, 11, 20), "student_child", 43500, date(2025, 12, 31)),
            (date(2025, 11, 20), "working_age", 79500, date(2025, 12, 31)),
            (date(2025, 11, 20), "elderly", 46000, date(2025, 12, 31)),
        ],
    )
    def test_the_fee_year_open_today(self, today: date, category: str, fen: int, due: date) -> None:
        result = plan(medical(category), POLICY, today)
        [item] = result.items
        fee_year = today.year + 1
        assert item.key == ItemKey(Period(fee_year, 1), "resident_medical")
        assert item.levy_item == "城乡居民基本医疗保险费"
        assert (item.period_end, item.base_amount_fen, item.due_date) == (Period(fee_year, 12), fen, due)
        assert result.through == Period(fee_year, 12) and result.waiting == ()

    def test_window_bounds(self) -> None:
        assert plan(medical("elderly"), POLICY, date(2025, 8, 31)).items == ()
        assert plan(medical("elderly"), POLICY, date(2025, 9, 1)).items[0].key.period_start == Period(2026, 1)
        assert plan(medical("elderly"), POLICY, date(2025, 12, 31)).items[0].key.period_start == Period(
            2026, 1
        )
        closed = plan(medical("elderly"), POLICY, date(2026, 1, 1))
        assert closed.items == () and not closed.advances
        assert closed.describe() == [
            "当前不在城乡居民基本医疗保险集中缴费期，应缴费将在缴费期开始后生成"
            "（集中缴费期为每年9月1日至12月31日，2027年度缴费期尚未公布）"
        ]

    def test_an_enrolment_ended_before_the_fee_year(self) -> None:
        terms = dataclasses.replace(medical("elderly"), period_end=Period(2025, 12))
        result = plan(terms, POLICY, date(2025, 11, 20))
        assert result.items == () and result.through == Period(2026, 12)
        assert result.describe() == ["2026年度不在参保期间，未生成应缴费"]

    def test_missing_amount_table_waits(self) -> None:
        tables = dataclasses.replace(
            POLICY, medical_contributions=tuple(c for c in POLICY.medical_contributions if c.fee_year != 2026)
        )
        result = plan(medical("elderly"), tables, date(2025, 11, 20))
        assert result.items == () and result.through is None
        assert result.describe() == [
            "2026年度城乡居民基本医疗保险应缴费待缴费标准公布后生成（缺少2026年城乡居民基本医疗保险缴费标准）"
        ]


class TestResidentPension:
    @pytest.mark.parametrize(
        ("amount", "fen"),
        [(None, 100000), (100000, 100000), (200000, 200000), (543200, 543200), (900000, 900000)],
    )
    def test_chosen_amount_or_the_minimum(self, amount: int | None, fen: int) -> None:
        [item] = plan(pension(amount), POLICY, date(2025, 11, 20)).items
        assert item.key == ItemKey(Period(2025, 1), "resident_pension")
        assert item.levy_item == "城乡居民基本养老保险费"
        assert (item.period_end, item.base_amount_fen, item.due_date) == (
            Period(2025, 12),
            fen,
            date(2025, 12, 10),
        )

    @pytest.mark.parametrize(("amount", "fen"), [(50000, 100000), (1200000, 900000)])
    def test_an_amount_outside_a_later_range_is_brought_into_it(self, amount: int, fen: int) -> None:
        assert (
            price(pension(amount), POLICY, ItemKey(Period(2026, 1), "resident_pension")).base_amount_fen
            == fen
        )

    def test_window_april_1_to_december_10(self) -> None:
        assert plan(pension(), POLICY, date(2025, 3, 31)).items == ()
        assert plan(pension(), POLICY, date(2025, 4, 1)).items[0].key.period_start == Period(2025, 1)
        assert plan(pension(), POLICY, date(2025, 12, 10)).items[0].key.period_start == Period(2025, 1)
        assert plan(pension(), POLICY, date(2025, 12, 11)).items == ()

    def test_no_late_fee(self) -> None:
        assert late_fee_fen(POLICY, "resident_pension", Period(2025, 1), 100000, date(2026, 6, 1)) == 0
        assert late_fee_fen(POLICY, "resident_medical", Period(2026, 1), 79500, date(2026, 6, 1)) == 0


class TestFlexible:
    def test_exact_fen_per_insurance_type(self) -> None:
        assert amounts(flexible(1000000), "2025-09") == {
            "pension": 200000,
            "unemployment": 10000,
            "medical": 70000,
            "work_injury": 2000,
        }

    @pytest.mark.parametrize(
        ("period", "base_fen", "expected"),
        [
            # base year 2024 (2024-07 to 2025-06): 6821 to 35283 yuan
            (
                "2025-06",
                300000,
                {"pension": 136420, "unemployment": 6821, "medical": 47747, "work_injury": 1364},
            ),
            (
                "2025-06",
                682100,
                {"pension": 136420, "unemployment": 6821, "medical": 47747, "work_injury": 1364},
            ),
            (
                "2025-06",
                5000000,
                {"pension": 705660, "unemployment": 35283, "medical": 246981, "work_injury": 7057},
            ),
            # base year 2025 (2025-07 to 2026-06): 7162 to 35811 yuan
            (
                "2025-07",
                300000,
                {"pension": 143240, "unemployment": 7162, "medical": 50134, "work_injury": 1432},
            ),
            (
                "2025-07",
                3581100,
                {"pension": 716220, "unemployment": 35811, "medical": 250677, "work_injury": 7162},
            ),
            (
                "2026-06",
                5000000,
                {"pension": 716220, "unemployment": 35811, "medical": 250677, "work_injury": 7162},
            ),
        ],
    )
    def test_clamped_at_both_limits(self, period: str, base_fen: int, expected: dict[str, int]) -> None:
        assert amounts(flexible(base_fen), period) == expected

    def test_half_up_to_the_fen(self) -> None:
        # 7162.50 yuan: 1% = 7162.5 → 7163; 7% = 50137.5 → 50138; 0.2% = 1432.5 → 1433
        assert amounts(flexible(716250), "2025-09") == {
            "pension": 143250,
            "unemployment": 7163,
            "medical": 50138,
            "work_injury": 1433,
        }

    def test_levy_items_and_due_dates(self) -> None:
        result = plan(flexible(1000000, start="2025-11"), POLICY, date(2025, 11, 20))
        assert [(i.key.insurance_type, i.levy_item, i.due_date) for i in result.items] == [
            ("pension", "基本养老保险基金收入", date(2025, 12, 31)),
            ("unemployment", "失业保险基金收入", date(2025, 12, 31)),
            ("medical", "基本医疗保险基金收入", date(2025, 12, 31)),
            ("work_injury", "工伤保险基金收入", date(2025, 12, 31)),
        ]

    def test_months_up_to_today_or_the_end(self) -> None:
        until_now = plan(flexible(1000000, start="2025-09", types=("pension",)), POLICY, date(2025, 11, 20))
        assert [str(i.key.period_start) for i in until_now.items] == ["2025-09", "2025-10", "2025-11"]
        assert until_now.through == Period(2025, 11)
        ended = plan(flexible(1000000, "2025-09", "2025-10", ("pension",)), POLICY, date(2025, 11, 20))
        assert [str(i.key.period_start) for i in ended.items] == ["2025-09", "2025-10"]
        until = plan(
            flexible(1000000, "2025-09", None, ("pension",)),
            POLICY,
            date(2025, 11, 20),
            until=Period(2025, 9),
        )
        assert [str(i.key.period_start) for i in until.items] == ["2025-09"]

    def test_months_without_a_table_wait(self) -> None:
        result = plan(flexible(1000000, start="2026-05", types=("pension",)), POLICY, date(2026, 8, 10))
        assert [str(i.key.period_start) for i in result.items] == ["2026-05", "2026-06"]
        assert result.through == Period(2026, 6)
        assert result.describe() == [
            "2026-07起的灵活就业人员应缴费待缴费标准公布后生成（缺少2026-07起的灵活就业人员缴费基数上下限）"
        ]

    def test_months_before_the_first_table_wait_and_hold_the_mark(self) -> None:
        result = plan(
            flexible(1000000, start="2022-05", end="2022-08", types=("pension",)), POLICY, date(2025, 1, 1)
        )
        assert [str(i.key.period_start) for i in result.items] == ["2022-07", "2022-08"]
        assert result.through is None
        assert result.describe() == [
            "2022-05至2022-06的灵活就业人员应缴费待缴费标准公布后生成（缺少2022-05至2022-06的灵活就业人员缴费基数上下限）"
        ]

    def test_price_raises_without_a_table(self) -> None:
        with pytest.raises(PolicyMissing):
            price(flexible(1000000), POLICY, ItemKey(Period(2026, 7), "flexible_employment", "pension"))


class TestLateFee:
    @pytest.mark.parametrize(
        ("today", "fen"),
        [
            (date(2025, 10, 31), 0),  # the due date itself
            (date(2025, 11, 1), 100),  # 200000 × 0.0005 × 1
            (date(2025, 11, 30), 3000),
            (date(2025, 12, 1), 3100),
        ],
    )
    def test_from_the_day_after_the_due_date(self, today: date, fen: int) -> None:
        assert late_fee_fen(POLICY, "flexible_employment", Period(2025, 9), 200000, today) == fen
