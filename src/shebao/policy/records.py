"""Policy records: the typed, frozen figures of a region's tables and the lookups by fee year and period.

A lookup for a period or fee year that no record covers raises `PolicyMissing`: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TypeVar

from shebao.kit.periods import Period

DEFAULT_REGION = "beijing"

CATEGORIES: tuple[str, ...] = ("student_child", "working_age", "elderly")
INSURANCE_TYPES: tuple[str, ...] = ("pension", "unemployment", "medical", "work_injury")

SCHEME_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "resident_medical": "城乡居民基本医疗保险",
        "resident_pension": "城乡居民养老保险",
        "flexible_employment": "灵活就业人员",
    }
)

_REGION_NAME = re.compile(r"[a-z][a-z0-9_]*")


class PolicyMissing(LookupError):
    """No table covers the fee year or period asked for. `message` says which table, in Chinese."""

    code = "policy_missing"

    def __init__(self, message: str, *, scheme: str, key: str) -> None:
        self.message = message
        self.scheme = scheme
        self.key = key  # the fee year ("2027") or fee period ("2026-07") without a table
        super().__init__(message)


class PolicyFileError(ValueError):
    """A policy file that cannot be used as it is; the message names the file and the record."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True, kw_only=True)
class Figure:
    """What every record carries: the fee periods it applies to and where its figures come from."""

    period_from: Period
    period_to: Period | None  # None: in force until the policy files say otherwise (rules only)
    source: str
    verified: bool
    file: str

    def covers(self, period: Period) -> bool:
        return self.period_from <= period and (self.period_to is None or period <= self.period_to)

    def describe(self) -> str:
        end = str(self.period_to) if self.period_to else "…"
        return f"{self.file}（{self.period_from}至{end}）"


@dataclass(frozen=True, kw_only=True)
class MedicalContribution(Figure):
    fee_year: int
    annual_fen: Mapping[str, int]  # category → individual amount for the fee year


@dataclass(frozen=True, kw_only=True)
class CollectionWindow(Figure):
    """The dates during which a fee year can be paid (both days included)."""

    fee_year: int
    opens: date
    closes: date


@dataclass(frozen=True, kw_only=True)
class PensionRange(Figure):
    fee_year: int
    min_fen: int
    max_fen: int
    common_fen: tuple[int, ...]  # the amounts the page offers before 其他金额


@dataclass(frozen=True)
class SubsidyTier:
    from_fen: int  # both ends included
    to_fen: int
    subsidy_fen: int


@dataclass(frozen=True, kw_only=True)
class PensionSubsidy(Figure):
    fee_year: int
    tiers: tuple[SubsidyTier, ...]


@dataclass(frozen=True, kw_only=True)
class BaseLimits(Figure):
    base_year: int
    lower_fen: int
    upper_fen: int


@dataclass(frozen=True, kw_only=True)
class ContributionRates(Figure):
    rates: Mapping[str, Decimal]  # insurance type → rate on the monthly base


@dataclass(frozen=True, kw_only=True)
class DueDateRule(Figure):
    months_after: int  # 1: the month after the fee period
    day: int | None  # None: the last day of that month


@dataclass(frozen=True, kw_only=True)
class LateFeeRate(Figure):
    daily_rate: Decimal


FigureT = TypeVar("FigureT", bound=Figure)


# ---------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class PolicyTables:
    """All the figures of one region, each kind sorted by `period_from`."""

    region: str
    medical_contributions: tuple[MedicalContribution, ...] = ()
    medical_windows: tuple[CollectionWindow, ...] = ()
    pension_ranges: tuple[PensionRange, ...] = ()
    pension_windows: tuple[CollectionWindow, ...] = ()
    pension_subsidies: tuple[PensionSubsidy, ...] = ()
    base_limits: tuple[BaseLimits, ...] = ()
    rates: tuple[ContributionRates, ...] = ()
    due_date_rules: tuple[DueDateRule, ...] = ()
    late_fee_rates: tuple[LateFeeRate, ...] = ()

    def figures(self) -> tuple[Figure, ...]:
        return (
            *self.medical_contributions,
            *self.medical_windows,
            *self.pension_ranges,
            *self.pension_windows,
            *self.pension_subsidies,
            *self.base_limits,
            *self.rates,
            *self.due_date_rules,
            *self.late_fee_rates,
        )

    def unverified(self) -> tuple[Figure, ...]:
        """Records not confirmed against an official text (to list at startup and on operator pages)."""
        return tuple(figure for figure in self.figures() if not figure.verified)

    # Lookups by fee year (resident schemes: the fee period is the calendar year)

    def medical_contribution(self, fee_year: int) -> MedicalContribution:
        return _by_year(
            self.medical_contributions, fee_year, "resident_medical", "{year}年城乡居民基本医疗保险缴费标准"
        )

    def medical_window(self, fee_year: int) -> CollectionWindow:
        return _by_year(
            self.medical_windows, fee_year, "resident_medical", "{year}年城乡居民基本医疗保险集中缴费期"
        )

    def pension_range(self, fee_year: int) -> PensionRange:
        return _by_year(self.pension_ranges, fee_year, "resident_pension", "{year}年城乡居民养老保险缴费标准")

    def pension_window(self, fee_year: int) -> CollectionWindow:
        return _by_year(self.pension_windows, fee_year, "resident_pension", "{year}年城乡居民养老保险缴费期")

    def pension_subsidy(self, fee_year: int) -> PensionSubsidy:
        return _by_year(
            self.pension_subsidies, fee_year, "resident_pension", "{year}年城乡居民养老保险政府缴费补贴标准"
        )

    # Lookups by fee period (flexible employment and the rules)

    def flexible_limits(self, period: Period) -> BaseLimits:
        return _by_period(
            self.base_limits, period, "flexible_employment", "{period}灵活就业人员缴费基数上下限"
        )

    def flexible_rates(self, period: Period) -> ContributionRates:
        return _by_period(self.rates, period, "flexible_employment", "{period}灵活就业人员缴费费率")

    def due_date_rule(self, period: Period) -> DueDateRule:
        return _by_period(
            self.due_date_rules, period, "flexible_employment", "{period}灵活就业人员缴费期限规则"
        )

    def late_fee_rate(self, period: Period) -> LateFeeRate:
        return _by_period(self.late_fee_rates, period, "late_fee", "{period}滞纳金比例")


YearT = TypeVar("YearT", MedicalContribution, CollectionWindow, PensionRange, PensionSubsidy)


def _by_year(records: Sequence[YearT], fee_year: int, scheme: str, what: str) -> YearT:
    for record in records:
        if record.fee_year == fee_year:
            return record
    raise PolicyMissing("缺少" + what.format(year=fee_year), scheme=scheme, key=str(fee_year))


def _by_period(records: Sequence[FigureT], period: Period, scheme: str, what: str) -> FigureT:
    for record in records:
        if record.covers(period):
            return record
    raise PolicyMissing("缺少" + what.format(period=period), scheme=scheme, key=str(period))
