"""policy/calc.py: exact fen for every table, category and insurance type, and the rules around them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shebao.kit.periods import Period
from shebao.policy.calc import (
    LEVY_ITEMS,
    Collectable,
    PolicyError,
    PolicyMissing,
    check_pension_amount,
    clamp_base,
    flexible_base_limits,
    flexible_contribution,
    flexible_due_date,
    flexible_late_fee,
    flexible_rate,
    late_fee,
    late_fee_rate,
    levy_item,
    pension_collectable,
    pension_common_amounts,
    pension_range,
    pension_subsidy_fen,
    pension_window,
    resident_medical_amount,
    resident_medical_collectable,
    resident_medical_window,
)
from shebao.policy.tables import PolicyTables, load_policy

RATE = Decimal("0.0005")


@pytest.fixture(scope="module")
def policy() -> PolicyTables:
    return load_policy()


class TestResidentMedical:
    @pytest.mark.parametrize(
        ("fee_year", "category", "fen"),
        [
            (2025, "elderly", 40000),
            (2025, "student_child", 37500),
            (2025, "working_age", 70500),
            (2026, "elderly", 46000),
            (2026, "student_child", 43500),
            (2026, "working_age", 79500),
        ],
    )
    def test_amounts(self, policy: PolicyTables, fee_year: int, category: str, fen: int) -> None:
        assert resident_medical_amount(policy, fee_year, category) == fen

    def test_2027_missing(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyMissing) as info:
            resident_medical_amount(policy, 2027, "working_age")
        assert info.value.message == "缺少2027年城乡居民基本医疗保险缴费标准"

    def test_unknown_category(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyError, match="未知的居民医保参保人员类别：retired"):
            resident_medical_amount(policy, 2026, "retired")

    def test_window(self, policy: PolicyTables) -> None:
        assert resident_medical_window(policy, 2026) == (date(2025, 9, 1), date(2025, 12, 31))
        assert resident_medical_window(policy, 2025) == (date(2024, 9, 1), date(2024, 12, 31))
        with pytest.raises(PolicyMissing, match="缺少2027年城乡居民基本医疗保险集中缴费期"):
            resident_medical_window(policy, 2027)

    @pytest.mark.parametrize(
        ("today", "fee_year"),
        [(date(2025, 9, 1), 2026), (date(2025, 12, 31), 2026), (date(2024, 10, 15), 2025)],
    )
    def test_collectable_during_the_window(self, policy: PolicyTables, today: date, fee_year: int) -> None:
        status = resident_medical_collectable(policy, today)
        assert status.is_open
        assert status.fee_year == fee_year
        assert status.opens == date(fee_year - 1, 9, 1)
        assert status.closes == date(fee_year - 1, 12, 31)
        assert status.message is None

    def test_before_a_known_window(self, policy: PolicyTables) -> None:
        assert resident_medical_collectable(policy, date(2025, 8, 31)) == Collectable(
            None,
            date(2025, 9, 1),
            date(2025, 12, 31),
            "集中缴费期为每年9月1日至12月31日，2026年度将于2025年9月1日开始缴费",
        )

    @pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 10, 1)])
    def test_after_the_last_known_window(self, policy: PolicyTables, today: date) -> None:
        status = resident_medical_collectable(policy, today)
        assert not status.is_open
        assert status == Collectable(
            None, None, None, "集中缴费期为每年9月1日至12月31日，2027年度缴费期尚未公布"
        )

    def test_no_window_at_all(self) -> None:
        with pytest.raises(PolicyMissing, match="缺少2026年城乡居民基本医疗保险集中缴费期"):
            resident_medical_collectable(PolicyTables(region="empty"), date(2025, 9, 1))


class TestResidentPension:
    def test_range_and_common_amounts(self, policy: PolicyTables) -> None:
        assert pension_range(policy, 2025) == (100000, 900000)
        assert pension_range(policy, 2026) == (100000, 900000)
        assert pension_common_amounts(policy, 2026) == (
            100000,
            200000,
            300000,
            400000,
            500000,
            600000,
            700000,
            800000,
            900000,
        )

    @pytest.mark.parametrize("amount_fen", [100000, 100100, 123400, 500000, 899900, 900000])
    def test_whole_yuan_in_range_accepted(self, policy: PolicyTables, amount_fen: int) -> None:
        assert check_pension_amount(policy, 2025, amount_fen) == amount_fen

    @pytest.mark.parametrize("amount_fen", [99900, 900100, 100050, 0, -100000, 100001, 1000])
    def test_refused(self, policy: PolicyTables, amount_fen: int) -> None:
        with pytest.raises(PolicyError) as info:
            check_pension_amount(policy, 2026, amount_fen)
        assert info.value.message == "缴费金额须为1000至9000元之间的整元金额"
        assert isinstance(info.value, ValueError)

    def test_missing_year(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyMissing, match="缺少2027年城乡居民养老保险缴费标准"):
            check_pension_amount(policy, 2027, 100000)

    @pytest.mark.parametrize(
        ("amount_fen", "subsidy_fen"),
        [
            (100000, 6000),
            (199900, 6000),
            (200000, 9000),
            (399900, 9000),
            (400000, 12000),
            (599900, 12000),
            (600000, 15000),
            (900000, 15000),
        ],
    )
    def test_subsidy_tiers(self, policy: PolicyTables, amount_fen: int, subsidy_fen: int) -> None:
        for fee_year in (2024, 2025, 2026):
            assert pension_subsidy_fen(policy, fee_year, amount_fen) == subsidy_fen

    def test_subsidy_needs_a_valid_amount_and_a_table(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyError, match="缴费金额须为1000至9000元之间的整元金额"):
            pension_subsidy_fen(policy, 2025, 99900)
        with pytest.raises(PolicyMissing, match="缺少2023年城乡居民养老保险政府缴费补贴标准"):
            pension_subsidy_fen(policy, 2023, 100000)

    def test_window(self, policy: PolicyTables) -> None:
        assert pension_window(policy, 2025) == (date(2025, 4, 1), date(2025, 12, 10))

    @pytest.mark.parametrize("today", [date(2025, 4, 1), date(2025, 7, 1), date(2025, 12, 10)])
    def test_collectable(self, policy: PolicyTables, today: date) -> None:
        assert pension_collectable(policy, today) == Collectable(
            2025, date(2025, 4, 1), date(2025, 12, 10), None
        )

    def test_closed_until_next_april(self, policy: PolicyTables) -> None:
        assert pension_collectable(policy, date(2025, 12, 11)) == Collectable(
            None,
            date(2026, 4, 1),
            date(2026, 12, 10),
            "缴费期为每年4月1日至12月10日，2026年度将于2026年4月1日开始缴费",
        )
        assert pension_collectable(policy, date(2026, 12, 11)).message == (
            "缴费期为每年4月1日至12月10日，2027年度缴费期尚未公布"
        )


class TestFlexibleEmployment:
    @pytest.mark.parametrize(
        ("period", "limits"),
        [
            ("2024-07", (682100, 3528300)),
            ("2025-01", (682100, 3528300)),
            ("2025-06", (682100, 3528300)),
            ("2025-07", (716200, 3581100)),
            ("2025-08", (716200, 3581100)),
            ("2026-06", (716200, 3581100)),
            ("2022-07", (586900, 3188400)),
            ("2023-07", (632600, 3389100)),
        ],
    )
    def test_base_limits(self, policy: PolicyTables, period: str, limits: tuple[int, int]) -> None:
        assert flexible_base_limits(policy, period) == limits
        assert flexible_base_limits(policy, Period.parse(period)) == limits

    def test_2026_07_missing(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyMissing) as info:
            flexible_base_limits(policy, "2026-07")
        assert info.value.message == "缺少2026-07灵活就业人员缴费基数上下限"
        with pytest.raises(PolicyMissing, match="缺少2026-07灵活就业人员缴费基数上下限"):
            flexible_contribution(policy, "2026-07", "pension", 1000000)

    def test_bad_period_text(self, policy: PolicyTables) -> None:
        with pytest.raises(ValueError, match="费款所属期格式应为YYYY-MM"):
            flexible_base_limits(policy, "2025-13")

    @pytest.mark.parametrize(
        ("base_fen", "clamped"),
        [
            (500000, 716200),
            (716199, 716200),
            (716200, 716200),
            (716201, 716201),
            (1000000, 1000000),
            (3581099, 3581099),
            (3581100, 3581100),
            (3581101, 3581100),
            (4000000, 3581100),
        ],
    )
    def test_clamp(self, base_fen: int, clamped: int) -> None:
        assert clamp_base(base_fen, 716200, 3581100) == clamped

    def test_clamp_refuses_inverted_limits(self) -> None:
        with pytest.raises(ValueError, match="lower_fen must not exceed upper_fen"):
            clamp_base(1, 3581100, 716200)

    @pytest.mark.parametrize(
        ("base_fen", "insurance_type", "fen"),
        [
            # base 10000 yuan, inside the limits
            (1000000, "pension", 200000),
            (1000000, "unemployment", 10000),
            (1000000, "medical", 70000),
            (1000000, "work_injury", 2000),
            # base 5000 yuan → clamped up to 7162
            (500000, "pension", 143240),
            (500000, "unemployment", 7162),
            (500000, "medical", 50134),
            (500000, "work_injury", 1432),  # 1432.4 → 1432
            # base 40000 yuan → clamped down to 35811
            (4000000, "pension", 716220),
            (4000000, "unemployment", 35811),
            (4000000, "medical", 250677),
            (4000000, "work_injury", 7162),  # 7162.2 → 7162
            # exactly at the limits
            (716200, "pension", 143240),
            (3581100, "pension", 716220),
            # half a fen rounds up: 7162.50 yuan
            (716250, "medical", 50138),  # 50137.5
            (716250, "work_injury", 1433),  # 1432.5
            (716250, "unemployment", 7163),  # 7162.5
            (716201, "pension", 143240),  # 143240.2
        ],
    )
    def test_contribution_2025_08(
        self, policy: PolicyTables, base_fen: int, insurance_type: str, fen: int
    ) -> None:
        assert flexible_contribution(policy, "2025-08", insurance_type, base_fen) == fen

    def test_base_year_switch(self, policy: PolicyTables) -> None:
        # Same 5000-yuan base: June 2025 clamps to 6821 (base year 2024), July 2025 to 7162 (base year 2025)
        assert flexible_contribution(policy, "2025-06", "pension", 500000) == 136420
        assert flexible_contribution(policy, "2025-07", "pension", 500000) == 143240
        assert flexible_contribution(policy, "2025-06", "pension", 4000000) == 705660
        assert flexible_contribution(policy, "2025-07", "pension", 4000000) == 716220
        assert flexible_contribution(policy, Period(2026, 6), "medical", 500000) == 50134

    @pytest.mark.parametrize("base_fen", [0, -1])
    def test_base_must_be_positive(self, policy: PolicyTables, base_fen: int) -> None:
        with pytest.raises(PolicyError, match="缴费基数须为正数"):
            flexible_contribution(policy, "2025-08", "pension", base_fen)

    def test_unknown_insurance_type(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyError, match="未知的险种：maternity"):
            flexible_contribution(policy, "2025-08", "maternity", 1000000)
        with pytest.raises(PolicyError, match="未知的险种：maternity"):
            levy_item("maternity")

    def test_rates(self, policy: PolicyTables) -> None:
        assert flexible_rate(policy, "2025-08", "pension") == Decimal("0.20")
        assert flexible_rate(policy, "2026-01", "work_injury") == Decimal("0.002")
        with pytest.raises(PolicyMissing, match="缺少2027-01灵活就业人员缴费费率"):
            flexible_rate(policy, "2027-01", "pension")

    @pytest.mark.parametrize(
        ("insurance_type", "item"),
        [
            ("pension", "基本养老保险基金收入"),
            ("unemployment", "失业保险基金收入"),
            ("medical", "基本医疗保险基金收入"),
            ("work_injury", "工伤保险基金收入"),
        ],
    )
    def test_levy_items(self, insurance_type: str, item: str) -> None:
        assert levy_item(insurance_type) == item
        assert LEVY_ITEMS[insurance_type] == item

    @pytest.mark.parametrize(
        ("period", "due"),
        [
            ("2025-07", date(2025, 8, 31)),
            ("2025-08", date(2025, 9, 30)),
            ("2025-12", date(2026, 1, 31)),
            ("2026-01", date(2026, 2, 28)),
            ("2024-01", date(2024, 2, 29)),
        ],
    )
    def test_due_date(self, policy: PolicyTables, period: str, due: date) -> None:
        assert flexible_due_date(policy, period) == due


class TestLateFee:
    def test_worked_example_over_a_month_boundary(self) -> None:
        # due 2025-07-31, today 2025-09-02: 31 days of August + 2 of September = 33 days
        # 143240 × 0.0005 × 33 = 2363.46 → 2363
        assert late_fee(143240, date(2025, 7, 31), date(2025, 9, 2), RATE) == 2363

    @pytest.mark.parametrize(
        ("today", "fen"),
        [
            (date(2025, 7, 1), 0),
            (date(2025, 7, 31), 0),  # the due date itself: nothing yet
            (date(2025, 8, 1), 72),  # 1 day: 71.62 → 72
            (date(2025, 8, 2), 143),  # 143.24
            (date(2025, 8, 31), 2220),  # 31 days: 2220.22
        ],
    )
    def test_days_counted_from_the_day_after(self, today: date, fen: int) -> None:
        assert late_fee(143240, date(2025, 7, 31), today, RATE) == fen

    def test_rounded_once_half_up(self) -> None:
        assert late_fee(1000, date(2025, 7, 31), date(2025, 8, 1), RATE) == 1  # 0.5 → 1
        assert late_fee(999, date(2025, 7, 31), date(2025, 8, 1), RATE) == 0  # 0.4995 → 0
        # rounding per day would give 3 × round(0.3) = 0; rounding once gives round(0.9) = 1
        assert late_fee(600, date(2025, 7, 31), date(2025, 8, 3), RATE) == 1

    def test_negative_refused(self) -> None:
        with pytest.raises(ValueError, match="must not be negative"):
            late_fee(-1, date(2025, 7, 31), date(2025, 8, 3), RATE)

    def test_rate_from_policy(self, policy: PolicyTables) -> None:
        assert late_fee_rate(policy, "2025-07") == Decimal("0.0005")
        assert late_fee_rate(policy, Period(2040, 1)) == Decimal("0.0005")

    def test_flexible_late_fee(self, policy: PolicyTables) -> None:
        # 2025-07 is due 2025-08-31; on 2025-09-30 it is 30 days late: 143240 × 0.0005 × 30 = 2148.6 → 2149
        assert flexible_late_fee(policy, "2025-07", 143240, date(2025, 9, 30)) == 2149
        assert flexible_late_fee(policy, "2025-07", 143240, date(2025, 8, 31)) == 0
