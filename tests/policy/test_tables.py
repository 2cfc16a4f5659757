"""policy/tables.py: the packaged Beijing tables load, convert and validate; broken files are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shebao.kit.periods import Period
from shebao.policy.tables import (
    PolicyFileError,
    PolicyMissing,
    PolicyTables,
    SubsidyTier,
    build_policy,
    default_policy,
    load_policy,
    packaged_directory,
)

COMMON = 'source = "测试"\nverified = true\n'


def limits(period_from: str, period_to: str, lower: str = "7162", upper: str = "35811") -> str:
    return (
        "[[flexible_employment.base_limits]]\n"
        f'base_year = 2025\nperiod_from = "{period_from}"\nperiod_to = "{period_to}"\n'
        f"lower_yuan = {lower}\nupper_yuan = {upper}\n" + COMMON
    )


def medical(
    fee_year: int = 2026,
    body: str = "annual_yuan = { elderly = 460, student_child = 435, working_age = 795 }",
) -> str:
    return (
        "[[resident_medical.contributions]]\n"
        f'fee_year = {fee_year}\nperiod_from = "{fee_year}-01"\nperiod_to = "{fee_year}-12"\n{body}\n'
        + COMMON
    )


def build(*texts: str) -> PolicyTables:
    return build_policy("test", ((f"{index}.toml", text) for index, text in enumerate(texts)))


@pytest.fixture(scope="module")
def policy() -> PolicyTables:
    return load_policy()


class TestPackagedBeijing:
    def test_files_are_packaged(self) -> None:
        names = sorted(entry.name for entry in packaged_directory().iterdir() if entry.name.endswith(".toml"))
        assert names == ["2022.toml", "2023.toml", "2024.toml", "2025.toml", "2026.toml", "rules.toml"]

    def test_default_policy_is_loaded_once(self) -> None:
        assert default_policy() is default_policy()
        assert default_policy().region == "beijing"

    def test_medical_in_fen(self, policy: PolicyTables) -> None:
        assert dict(policy.medical_contribution(2025).annual_fen) == {
            "elderly": 40000,
            "student_child": 37500,
            "working_age": 70500,
        }
        assert dict(policy.medical_contribution(2026).annual_fen) == {
            "elderly": 46000,
            "student_child": 43500,
            "working_age": 79500,
        }

    def test_medical_windows_are_the_year_before(self, policy: PolicyTables) -> None:
        window = policy.medical_window(2026)
        assert (window.opens, window.closes) == (date(2025, 9, 1), date(2025, 12, 31))

    def test_pension(self, policy: PolicyTables) -> None:
        for fee_year in range(2022, 2027):
            pension = policy.pension_range(fee_year)
            assert (pension.min_fen, pension.max_fen) == (100000, 900000)
            assert pension.common_fen == tuple(range(100000, 900001, 100000))
            window = policy.pension_window(fee_year)
            assert (window.opens, window.closes) == (date(fee_year, 4, 1), date(fee_year, 12, 10))

    def test_subsidy_tiers(self, policy: PolicyTables) -> None:
        for fee_year in (2024, 2025, 2026):
            assert policy.pension_subsidy(fee_year).tiers == (
                SubsidyTier(100000, 199900, 6000),
                SubsidyTier(200000, 399900, 9000),
                SubsidyTier(400000, 599900, 12000),
                SubsidyTier(600000, 900000, 15000),
            )

    @pytest.mark.parametrize(
        ("period", "base_year", "lower", "upper"),
        [
            ("2022-07", 2022, 586900, 3188400),
            ("2023-06", 2022, 586900, 3188400),
            ("2023-07", 2023, 632600, 3389100),
            ("2024-07", 2024, 682100, 3528300),
            ("2025-06", 2024, 682100, 3528300),
            ("2025-07", 2025, 716200, 3581100),
            ("2026-06", 2025, 716200, 3581100),
        ],
    )
    def test_base_limits(
        self, policy: PolicyTables, period: str, base_year: int, lower: int, upper: int
    ) -> None:
        found = policy.flexible_limits(Period.parse(period))
        assert (found.base_year, found.lower_fen, found.upper_fen) == (base_year, lower, upper)

    def test_rates_are_exact_decimals(self, policy: PolicyTables) -> None:
        rates = policy.flexible_rates(Period(2025, 8)).rates
        assert dict(rates) == {
            "pension": Decimal("0.20"),
            "unemployment": Decimal("0.01"),
            "medical": Decimal("0.07"),
            "work_injury": Decimal("0.002"),
        }
        assert all(isinstance(rate, Decimal) for rate in rates.values())

    def test_rules(self, policy: PolicyTables) -> None:
        rule = policy.due_date_rule(Period(2030, 1))
        assert (rule.months_after, rule.day, rule.period_to) == (1, None, None)
        late = policy.late_fee_rate(Period(2025, 7))
        assert late.daily_rate == Decimal("0.0005")
        assert late.verified is True
        assert "第八十六条" in late.source

    def test_every_figure_has_source_and_periods(self, policy: PolicyTables) -> None:
        figures = policy.figures()
        assert len(figures) == 28
        for figure in figures:
            assert figure.source.strip()
            assert figure.file.endswith(".toml")
            assert figure.period_to is None or figure.period_from <= figure.period_to

    def test_unconfirmed_figures_are_marked(self, policy: PolicyTables) -> None:
        assert policy.medical_contribution(2026).verified is False
        assert policy.medical_contribution(2025).verified is False
        assert policy.pension_range(2026).verified is False
        assert policy.pension_range(2025).verified is True
        assert policy.pension_subsidy(2024).verified is True
        assert all(not limits.verified for limits in policy.base_limits)
        assert all(not rates.verified for rates in policy.rates)
        assert policy.due_date_rule(Period(2025, 7)).verified is False
        unverified = policy.unverified()
        assert policy.medical_contribution(2026) in unverified
        assert policy.late_fee_rate(Period(2025, 7)) not in unverified


class TestMissing:
    def test_medical_2027(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyMissing) as info:
            policy.medical_contribution(2027)
        assert info.value.message == "缺少2027年城乡居民基本医疗保险缴费标准"
        assert str(info.value) == "缺少2027年城乡居民基本医疗保险缴费标准"
        assert (info.value.scheme, info.value.key) == ("resident_medical", "2027")
        assert isinstance(info.value, LookupError)

    def test_flexible_2026_07(self, policy: PolicyTables) -> None:
        with pytest.raises(PolicyMissing) as info:
            policy.flexible_limits(Period(2026, 7))
        assert info.value.message == "缺少2026-07灵活就业人员缴费基数上下限"
        assert (info.value.scheme, info.value.key) == ("flexible_employment", "2026-07")

    @pytest.mark.parametrize(
        ("lookup", "message"),
        [
            (lambda p: p.medical_contribution(2024), "缺少2024年城乡居民基本医疗保险缴费标准"),
            (lambda p: p.medical_window(2027), "缺少2027年城乡居民基本医疗保险集中缴费期"),
            (lambda p: p.pension_range(2027), "缺少2027年城乡居民养老保险缴费标准"),
            (lambda p: p.pension_window(2021), "缺少2021年城乡居民养老保险缴费期"),
            (lambda p: p.pension_subsidy(2023), "缺少2023年城乡居民养老保险政府缴费补贴标准"),
            (lambda p: p.flexible_limits(Period(2022, 6)), "缺少2022-06灵活就业人员缴费基数上下限"),
            (lambda p: p.flexible_rates(Period(2027, 1)), "缺少2027-01灵活就业人员缴费费率"),
            (lambda p: p.due_date_rule(Period(2021, 12)), "缺少2021-12灵活就业人员缴费期限规则"),
            (lambda p: p.late_fee_rate(Period(2011, 6)), "缺少2011-06滞纳金比例"),
        ],
    )
    def test_every_lookup_names_what_is_missing(
        self, policy: PolicyTables, lookup: Callable[[PolicyTables], object], message: str
    ) -> None:
        with pytest.raises(PolicyMissing) as info:
            lookup(policy)
        assert info.value.message == message


class TestDeploymentDirectory:
    def test_loads_another_directory(self, tmp_path: Path) -> None:
        (tmp_path / "2027.toml").write_text(medical(2027), encoding="utf-8")
        (tmp_path / "notes.txt").write_text("not a table", encoding="utf-8")
        tables = load_policy("shanghai", tmp_path)
        assert tables.region == "shanghai"
        assert tables.medical_contribution(2027).annual_fen["working_age"] == 79500
        assert tables.medical_contribution(2027).file == "2027.toml"
        with pytest.raises(PolicyMissing):
            tables.medical_contribution(2026)

    def test_accepts_a_string_path(self, tmp_path: Path) -> None:
        (tmp_path / "a.toml").write_text(medical(2026), encoding="utf-8")
        assert load_policy(directory=str(tmp_path)).medical_contribution(2026).annual_fen["elderly"] == 46000

    def test_missing_directory(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyFileError, match="政策目录不存在"):
            load_policy(directory=tmp_path / "nope")

    def test_directory_without_tables(self, tmp_path: Path) -> None:
        with pytest.raises(PolicyFileError, match="没有政策文件"):
            load_policy(directory=tmp_path)

    @pytest.mark.parametrize("region", ["../etc", "Beijing", "", "bei jing"])
    def test_region_name_is_checked(self, region: str) -> None:
        with pytest.raises(PolicyFileError, match="地区代码不正确"):
            load_policy(region)

    def test_unknown_packaged_region(self) -> None:
        with pytest.raises(PolicyFileError, match="政策目录不存在"):
            load_policy("atlantis")


class TestValidation:
    def test_string_yuan_with_fen(self) -> None:
        tables = build(limits("2025-07", "2026-06", lower='"7162.50"'))
        assert tables.flexible_limits(Period(2025, 7)).lower_fen == 716250

    def test_overlap_in_one_file(self) -> None:
        with pytest.raises(PolicyFileError, match="期间重叠"):
            build(limits("2025-07", "2026-06") + limits("2026-06", "2027-06"))

    def test_overlap_across_files(self) -> None:
        with pytest.raises(
            PolicyFileError, match=r"期间重叠：1\.toml（2025-01至2025-07） 与 0\.toml（2025-07至2026-06）"
        ):
            build(limits("2025-07", "2026-06"), limits("2025-01", "2025-07"))

    def test_adjacent_periods_are_fine(self) -> None:
        tables = build(limits("2024-07", "2025-06", "6821", "35283"), limits("2025-07", "2026-06"))
        assert tables.flexible_limits(Period(2025, 6)).lower_fen == 682100
        assert tables.flexible_limits(Period(2025, 7)).lower_fen == 716200

    def test_same_fee_year_twice(self) -> None:
        with pytest.raises(PolicyFileError, match="期间重叠"):
            build(medical(2026), medical(2026))

    @pytest.mark.parametrize(
        ("lower", "message"),
        [
            ("7162.5", "不可用小数"),  # a TOML float
            ('"7162.505"', "金额最多保留两位小数"),
            ("0", "应为正数"),
            ("-7162", "应为正数"),
            ('"abc"', "金额格式不正确"),
            ("true", "不可用小数"),
        ],
    )
    def test_bad_amounts(self, lower: str, message: str) -> None:
        with pytest.raises(PolicyFileError, match=message):
            build(limits("2025-07", "2026-06", lower=lower))

    def test_upper_below_lower(self) -> None:
        with pytest.raises(PolicyFileError, match="upper_yuan 小于 lower_yuan"):
            build(limits("2025-07", "2026-06", lower="35811", upper="7162"))

    def test_periods_checked(self) -> None:
        with pytest.raises(PolicyFileError, match="period_to 早于 period_from"):
            build(limits("2026-06", "2025-07"))
        with pytest.raises(PolicyFileError, match="YYYY-MM"):
            build(limits("2025-7", "2026-06"))

    def test_base_limits_need_an_end(self) -> None:
        text = limits("2025-07", "2026-06").replace('period_to = "2026-06"\n', "")
        with pytest.raises(PolicyFileError, match="缺少字段 period_to"):
            build(text)

    def test_source_and_verified_required(self) -> None:
        with pytest.raises(PolicyFileError, match="缺少字段 source"):
            build(limits("2025-07", "2026-06").replace('source = "测试"\n', ""))
        with pytest.raises(PolicyFileError, match="verified 应为 true 或 false"):
            build(limits("2025-07", "2026-06").replace("verified = true", 'verified = "yes"'))

    def test_unknown_field_refused(self) -> None:
        with pytest.raises(PolicyFileError, match="未知字段 lowr_yuan"):
            build(limits("2025-07", "2026-06") + "lowr_yuan = 1\n")

    def test_unknown_section_refused(self) -> None:
        with pytest.raises(PolicyFileError, match=r"未知的政策分类 \[\[flexible_employment.limits\]\]"):
            build("[[flexible_employment.limits]]\nx = 1\n")
        with pytest.raises(PolicyFileError, match=r"未知的政策分类 \[resident_dental\]"):
            build("[[resident_dental.contributions]]\nx = 1\n")

    def test_bad_toml(self) -> None:
        with pytest.raises(PolicyFileError, match="0.toml：TOML格式错误"):
            build("[[resident_medical.contributions]\n")

    def test_medical_needs_every_category(self) -> None:
        with pytest.raises(
            PolicyFileError, match="annual_yuan 应恰好包含 student_child, working_age, elderly"
        ):
            build(medical(2026, "annual_yuan = { elderly = 460, working_age = 795 }"))

    def test_fee_year_is_the_calendar_year(self) -> None:
        text = medical(2026).replace('period_to = "2026-12"', 'period_to = "2027-06"')
        with pytest.raises(PolicyFileError, match="缴费年度2026的费款所属期应为2026-01至2026-12"):
            build(text)

    @pytest.mark.parametrize(
        ("rate", "message"),
        [
            ("0.2", 'rates.pension 应写成文本，如 "0.20"'),
            ('"1.2"', "应大于0且小于1"),
            ('"0"', "应大于0且小于1"),
            ('"x"', "不是有效的比例"),
        ],
    )
    def test_rates_are_strings_between_zero_and_one(self, rate: str, message: str) -> None:
        text = (
            '[[flexible_employment.rates]]\nperiod_from = "2025-01"\nperiod_to = "2025-12"\n'
            f"rates = {{ pension = {rate}, "
            'unemployment = "0.01", medical = "0.07", work_injury = "0.002" }\n' + COMMON
        )
        with pytest.raises(PolicyFileError, match=message):
            build(text)

    def test_window_order(self) -> None:
        text = (
            '[[resident_medical.collection_windows]]\nfee_year = 2026\nperiod_from = "2026-01"\n'
            'period_to = "2026-12"\nopens = 2025-12-31\ncloses = 2025-09-01\n' + COMMON
        )
        with pytest.raises(PolicyFileError, match="closes 早于 opens"):
            build(text)

    def test_windows_of_two_years_must_not_overlap(self) -> None:
        def window(fee_year: int, opens: str, closes: str) -> str:
            return (
                f"[[resident_pension.payment_windows]]\nfee_year = {fee_year}\n"
                f'period_from = "{fee_year}-01"\n'
                f'period_to = "{fee_year}-12"\nopens = {opens}\ncloses = {closes}\n' + COMMON
            )

        with pytest.raises(PolicyFileError, match="缴费期重叠"):
            build(window(2025, "2025-04-01", "2026-04-30"), window(2026, "2026-04-01", "2026-12-10"))

    def test_subsidy_tiers_must_join_and_cover_the_range(self) -> None:
        def subsidy(tiers: str) -> str:
            return (
                "[[resident_pension.subsidies]]\nfee_year = 2025\n"
                'period_from = "2025-01"\nperiod_to = "2025-12"\n'
                f"tiers = [{tiers}]\n" + COMMON
            )

        pension = (
            '[[resident_pension.ranges]]\nfee_year = 2025\nperiod_from = "2025-01"\nperiod_to = "2025-12"\n'
            "min_yuan = 1000\nmax_yuan = 9000\ncommon_yuan = [1000, 9000]\n" + COMMON
        )
        gap = (
            "{from_yuan = 1000, to_yuan = 1999, subsidy_yuan = 60}, "
            "{from_yuan = 2001, to_yuan = 9000, subsidy_yuan = 90}"
        )
        with pytest.raises(PolicyFileError, match="首尾相接"):
            build(subsidy(gap))
        short = "{from_yuan = 1000, to_yuan = 5999, subsidy_yuan = 60}"
        with pytest.raises(PolicyFileError, match="补贴档次未覆盖全部缴费范围"):
            build(pension, subsidy(short))

    def test_pension_common_amounts_inside_range(self) -> None:
        text = (
            '[[resident_pension.ranges]]\nfee_year = 2025\nperiod_from = "2025-01"\nperiod_to = "2025-12"\n'
            "min_yuan = 1000\nmax_yuan = 9000\ncommon_yuan = [1000, 10000]\n" + COMMON
        )
        with pytest.raises(PolicyFileError, match="common_yuan 应为缴费范围内"):
            build(text)
        with pytest.raises(PolicyFileError, match="min_yuan 应为整元金额"):
            build(text.replace("min_yuan = 1000", 'min_yuan = "1000.50"'))

    @pytest.mark.parametrize("day", ["31", "0", '"first"', "true"])
    def test_due_day(self, day: str) -> None:
        text = (
            f'[[flexible_employment.due_dates]]\nperiod_from = "2025-01"\nmonths_after = 1\nday = {day}\n'
            + COMMON
        )
        with pytest.raises(PolicyFileError, match='day 应为 "last" 或1至28之间的整数'):
            build(text)

    def test_rule_without_end_blocks_a_later_one(self) -> None:
        rule = '[[late_fee.daily_rates]]\nperiod_from = "{start}"\ndaily_rate = "0.0005"\n' + COMMON
        with pytest.raises(PolicyFileError, match="期间重叠"):
            build(rule.format(start="2011-07") + rule.format(start="2030-01"))
        tables = build(
            rule.format(start="2011-07").replace(COMMON, 'period_to = "2029-12"\n' + COMMON)
            + rule.format(start="2030-01")
        )
        assert tables.late_fee_rate(Period(2099, 1)).period_from == Period(2030, 1)
