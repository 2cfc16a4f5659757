"""Every amount the system charges, computed from the policy tables: pure functions, integer fen.

No I/O and no clock: the tables, `today` and the periods are passed in. Arithmetic that needs a rate
runs in `Decimal` and is rounded once, at the end, by `round_fen` (half-up to the fen).
A missing table raises `PolicyMissing`; an amount or code the rules refuse raises `PolicyError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from shebao.kit.money import round_fen
from shebao.kit.periods import Period
from shebao.policy.tables import (
    CATEGORIES,
    INSURANCE_TYPES,
    CollectionWindow,
    PolicyMissing,
    PolicyTables,
)

# 征收项目 of each flexible-employment insurance type. These are the tax core's national levy-item
# names (国家税务总局 征收项目), identifiers rather than figures a region or year changes, so they live
# here beside the insurance-type codes instead of in the yearly tables.
LEVY_ITEMS: Final = MappingProxyType(
    {
        "pension": "基本养老保险基金收入",
        "unemployment": "失业保险基金收入",
        "medical": "基本医疗保险基金收入",
        "work_injury": "工伤保险基金收入",
    }
)
LEVY_ITEMS_SOURCE: Final = "国家税务总局社会保险费征收项目名称（POLICY.md：灵活就业人员征收项目）"
LEVY_ITEMS_VERIFIED: Final = True


class PolicyError(ValueError):
    """A value the rules refuse (an amount out of range, an unknown code); `message` is for people."""

    code = "policy_rule"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else Period.parse(period)


def _check_category(category: str) -> None:
    if category not in CATEGORIES:
        raise PolicyError(f"未知的居民医保参保人员类别：{category}")


def _check_insurance_type(insurance_type: str) -> None:
    if insurance_type not in INSURANCE_TYPES:
        raise PolicyError(f"未知的险种：{insurance_type}")


# ------------------------------------------------------------------------------ collection windows


@dataclass(frozen=True)
class Collectable:
    """Which fee year can be paid today, or why none can.

    `fee_year` is None outside every window; `opens`/`closes` are then the next known window (None
    when no later table exists yet) and `message` says when paying is possible (集中缴费期为…).
    """

    fee_year: int | None
    opens: date | None
    closes: date | None
    message: str | None

    @property
    def is_open(self) -> bool:
        return self.fee_year is not None


def _collectable(
    windows: Sequence[CollectionWindow], today: date, label: str, missing: PolicyMissing
) -> Collectable:
    for window in windows:
        if window.opens <= today <= window.closes:
            return Collectable(window.fee_year, window.opens, window.closes, None)
    upcoming = [window for window in windows if window.opens > today]
    if upcoming:
        nxt = upcoming[0]
        message = (
            f"{label}为每年{nxt.opens.month}月{nxt.opens.day}日至{nxt.closes.month}月{nxt.closes.day}日，"
            f"{nxt.fee_year}年度将于{nxt.opens.year}年{nxt.opens.month}月{nxt.opens.day}日开始缴费"
        )
        return Collectable(None, nxt.opens, nxt.closes, message)
    if not windows:
        raise missing
    last = windows[-1]
    message = (
        f"{label}为每年{last.opens.month}月{last.opens.day}日至{last.closes.month}月{last.closes.day}日，"
        f"{last.fee_year + 1}年度缴费期尚未公布"
    )
    return Collectable(None, None, None, message)


def resident_medical_window(policy: PolicyTables, fee_year: int) -> tuple[date, date]:
    """The collection window (集中缴费期) of a resident-medical fee year, both days included."""
    window = policy.medical_window(fee_year)
    return window.opens, window.closes


def resident_medical_collectable(policy: PolicyTables, today: date) -> Collectable:
    """The resident-medical fee year payable today (the next calendar year, during Sept–Dec)."""
    windows = sorted(policy.medical_windows, key=lambda window: window.opens)
    missing = PolicyMissing(
        f"缺少{today.year + 1}年城乡居民基本医疗保险集中缴费期",
        scheme="resident_medical",
        key=str(today.year + 1),
    )
    return _collectable(windows, today, "集中缴费期", missing)


def pension_window(policy: PolicyTables, fee_year: int) -> tuple[date, date]:
    """The payment window of a resident-pension fee year (April 1 – December 10), both days included."""
    window = policy.pension_window(fee_year)
    return window.opens, window.closes


def pension_collectable(policy: PolicyTables, today: date) -> Collectable:
    """The resident-pension fee year payable today (the current year, during its payment window)."""
    windows = sorted(policy.pension_windows, key=lambda window: window.opens)
    missing = PolicyMissing(
        f"缺少{today.year}年城乡居民养老保险缴费期", scheme="resident_pension", key=str(today.year)
    )
    return _collectable(windows, today, "缴费期", missing)


# ------------------------------------------------------------------------------ resident medical


def resident_medical_amount(policy: PolicyTables, fee_year: int, category: str) -> int:
    """The individual amount for one fee year and category, in fen (2026 working_age → 79500)."""
    _check_category(category)
    return policy.medical_contribution(fee_year).annual_fen[category]


# ------------------------------------------------------------------------------ resident pension


def pension_range(policy: PolicyTables, fee_year: int) -> tuple[int, int]:
    """(min_fen, max_fen), both allowed."""
    pension = policy.pension_range(fee_year)
    return pension.min_fen, pension.max_fen


def pension_common_amounts(policy: PolicyTables, fee_year: int) -> tuple[int, ...]:
    """The amounts the page offers before 其他金额, in fen, ascending."""
    return policy.pension_range(fee_year).common_fen


def check_pension_amount(policy: PolicyTables, fee_year: int, amount_fen: int) -> int:
    """The chosen amount if it is a whole-yuan amount inside the fee year's range; else PolicyError."""
    low, high = pension_range(policy, fee_year)
    if (
        isinstance(amount_fen, bool)
        or not isinstance(amount_fen, int)
        or amount_fen % 100
        or not low <= amount_fen <= high
    ):
        raise PolicyError(f"缴费金额须为{low // 100}至{high // 100}元之间的整元金额")
    return amount_fen


def pension_subsidy_fen(policy: PolicyTables, fee_year: int, amount_fen: int) -> int:
    """The government subsidy for a chosen amount: shown for information, never deducted from the payment."""
    check_pension_amount(policy, fee_year, amount_fen)
    subsidy = policy.pension_subsidy(fee_year)
    for tier in subsidy.tiers:
        if tier.from_fen <= amount_fen <= tier.to_fen:
            return tier.subsidy_fen
    raise PolicyMissing(
        f"缺少{fee_year}年城乡居民养老保险{amount_fen // 100}元档次的政府缴费补贴标准",
        scheme="resident_pension",
        key=str(fee_year),
    )


# ------------------------------------------------------------------------------ flexible employment


def flexible_base_limits(policy: PolicyTables, period: Period | str) -> tuple[int, int]:
    """(lower_fen, upper_fen) of the monthly contribution base for a fee period."""
    limits = policy.flexible_limits(_period(period))
    return limits.lower_fen, limits.upper_fen


def clamp_base(base_fen: int, lower_fen: int, upper_fen: int) -> int:
    """A base outside the limits is brought to the nearer limit; the limits themselves are kept."""
    if lower_fen > upper_fen:
        raise ValueError("lower_fen must not exceed upper_fen")
    return min(max(base_fen, lower_fen), upper_fen)


def flexible_rate(policy: PolicyTables, period: Period | str, insurance_type: str) -> Decimal:
    _check_insurance_type(insurance_type)
    return policy.flexible_rates(_period(period)).rates[insurance_type]


def flexible_contribution(
    policy: PolicyTables, period: Period | str, insurance_type: str, monthly_base_fen: int
) -> int:
    """One month of one insurance type: round_fen(clamped base × rate)."""
    fee_period = _period(period)
    _check_insurance_type(insurance_type)
    if isinstance(monthly_base_fen, bool) or not isinstance(monthly_base_fen, int) or monthly_base_fen <= 0:
        raise PolicyError("缴费基数须为正数")
    lower, upper = flexible_base_limits(policy, fee_period)
    rate = flexible_rate(policy, fee_period, insurance_type)
    return round_fen(Decimal(clamp_base(monthly_base_fen, lower, upper)) * rate)


def levy_item(insurance_type: str) -> str:
    """征收项目 of an insurance type: "pension" → "基本养老保险基金收入"."""
    _check_insurance_type(insurance_type)
    return LEVY_ITEMS[insurance_type]


def flexible_due_date(policy: PolicyTables, period: Period | str) -> date:
    """The last day to pay a fee period without a late fee (default rule: last day of the next month)."""
    fee_period = _period(period)
    rule = policy.due_date_rule(fee_period)
    month = fee_period
    for _ in range(rule.months_after):
        month = month.next()
    if rule.day is None:
        return month.last_day
    return date(month.year, month.month, rule.day)


# ------------------------------------------------------------------------------ late fees


def late_fee_rate(policy: PolicyTables, period: Period | str) -> Decimal:
    """The daily late-fee rate for a fee period (0.0005: 社会保险法 第八十六条)."""
    return policy.late_fee_rate(_period(period)).daily_rate


def late_fee(amount_fen: int, due_date: date, today: date, rate: Decimal) -> int:
    """滞纳金 accrued to `today` (included), from the day after `due_date`: round_fen(amount × rate × days).

    Due 2025-07-31 → 1 day on 2025-08-01; 0 on or before the due date.
    """
    if amount_fen < 0 or rate < 0:
        raise ValueError("amount_fen and rate must not be negative")
    days = (today - due_date).days
    if days <= 0:
        return 0
    return round_fen(Decimal(amount_fen) * rate * days)


def flexible_late_fee(policy: PolicyTables, period: Period | str, amount_fen: int, today: date) -> int:
    """The late fee of an unpaid flexible-employment amount of `period`, as of `today`."""
    fee_period = _period(period)
    return late_fee(
        amount_fen, flexible_due_date(policy, fee_period), today, late_fee_rate(policy, fee_period)
    )


__all__ = [
    "LEVY_ITEMS",
    "LEVY_ITEMS_SOURCE",
    "LEVY_ITEMS_VERIFIED",
    "Collectable",
    "PolicyError",
    "PolicyMissing",
    "check_pension_amount",
    "clamp_base",
    "flexible_base_limits",
    "flexible_contribution",
    "flexible_due_date",
    "flexible_late_fee",
    "flexible_rate",
    "late_fee",
    "late_fee_rate",
    "levy_item",
    "pension_collectable",
    "pension_common_amounts",
    "pension_range",
    "pension_subsidy_fen",
    "pension_window",
    "resident_medical_amount",
    "resident_medical_collectable",
    "resident_medical_window",
]
