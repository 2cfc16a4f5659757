"""Policy tables: the TOML files of a region, loaded into typed, frozen records and validated.

Layout of a region directory (the packaged default is `shebao/policies/beijing/`): any number of
`*.toml` files (by convention `<year>.toml` plus `rules.toml`), each made of arrays of records:

    [[resident_medical.contributions]]      fee_year, annual_yuan = {elderly, student_child, working_age}
    [[resident_medical.collection_windows]] fee_year, opens, closes (TOML dates)
    [[resident_pension.ranges]]             fee_year, min_yuan, max_yuan, common_yuan = [...]
    [[resident_pension.payment_windows]]    fee_year, opens, closes
    [[resident_pension.subsidies]]          fee_year, tiers = [{from_yuan, to_yuan, subsidy_yuan}, ...]
    [[flexible_employment.base_limits]]     base_year, lower_yuan, upper_yuan
    [[flexible_employment.rates]]           rates = {pension, unemployment, medical, work_injury} (strings)
    [[flexible_employment.due_dates]]       months_after, day ("last" or 1..28)
    [[late_fee.daily_rates]]                daily_rate (string)

Every record also has `period_from`, `period_to` (YYYY-MM; only the two rule kinds may leave `period_to`
out, meaning "in force until this file says otherwise"), `source` (text) and `verified` (bool).
Records of one kind may sit in any file; together they must not overlap. Yuan become integer fen on
load (`yuan_to_fen`, floats refused), rates become `Decimal` from their string. Unknown sections and
fields are refused, so a typo cannot silently drop a figure.

A lookup for a period or fee year that no record covers raises `PolicyMissing`: never a guess.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from shebao.kit.money import MoneyError, yuan_to_fen
from shebao.kit.periods import Period, PeriodError

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


# ---------------------------------------------------------------------------------------------- loading


def packaged_directory(region: str = DEFAULT_REGION) -> Traversable:
    """The region's directory shipped inside the package (`shebao/policies/<region>`)."""
    if not _REGION_NAME.fullmatch(region):
        raise PolicyFileError(f"地区代码不正确：{region!r}")
    return resources.files("shebao") / "policies" / region


def load_policy(
    region: str = DEFAULT_REGION, directory: Traversable | str | os.PathLike[str] | None = None
) -> PolicyTables:
    """Load and validate every `*.toml` under `directory` (default: the packaged tables of `region`)."""
    folder: Traversable
    if directory is None:
        folder = packaged_directory(region)
    elif isinstance(directory, (str, os.PathLike)):
        folder = Path(directory)
    else:
        folder = directory
    if not folder.is_dir():
        raise PolicyFileError(f"政策目录不存在：{folder}")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda entry: entry.name
    )
    if not files:
        raise PolicyFileError(f"政策目录中没有政策文件（*.toml）：{folder}")
    return build_policy(region, ((entry.name, entry.read_text(encoding="utf-8")) for entry in files))


@functools.cache
def default_policy() -> PolicyTables:
    """The packaged Beijing tables, loaded once per process."""
    return load_policy(DEFAULT_REGION)


def build_policy(region: str, documents: Iterable[tuple[str, str]]) -> PolicyTables:
    """Tables from (file name, TOML text) pairs: the loader's core, also handy in tests."""
    found: dict[str, list[Figure]] = {kind: [] for kind in _KINDS}
    for name, text in documents:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyFileError(f"{name}：TOML格式错误：{exc}") from exc
        for kind, record in _records(name, data):
            found[kind].append(record)

    sorted_found: dict[str, tuple[Figure, ...]] = {}
    for kind, records in found.items():
        ordered = tuple(sorted(records, key=lambda record: record.period_from))
        _check_no_overlap(kind, ordered)
        sorted_found[kind] = ordered
    _check_windows_apart("resident_medical.collection_windows", sorted_found)
    _check_windows_apart("resident_pension.payment_windows", sorted_found)
    _check_subsidies_cover_ranges(sorted_found)

    def pick(kind: str, cls: type[FigureT]) -> tuple[FigureT, ...]:
        return tuple(record for record in sorted_found[kind] if isinstance(record, cls))

    return PolicyTables(
        region=region,
        medical_contributions=pick("resident_medical.contributions", MedicalContribution),
        medical_windows=pick("resident_medical.collection_windows", CollectionWindow),
        pension_ranges=pick("resident_pension.ranges", PensionRange),
        pension_windows=pick("resident_pension.payment_windows", CollectionWindow),
        pension_subsidies=pick("resident_pension.subsidies", PensionSubsidy),
        base_limits=pick("flexible_employment.base_limits", BaseLimits),
        rates=pick("flexible_employment.rates", ContributionRates),
        due_date_rules=pick("flexible_employment.due_dates", DueDateRule),
        late_fee_rates=pick("late_fee.daily_rates", LateFeeRate),
    )


def _records(name: str, data: dict[str, Any]) -> Iterable[tuple[str, Figure]]:
    for section, kinds in data.items():
        if not isinstance(kinds, dict) or not any(kind.startswith(section + ".") for kind in _KINDS):
            raise PolicyFileError(f"{name}：未知的政策分类 [{section}]")
        for sub, items in kinds.items():
            kind = f"{section}.{sub}"
            if kind not in _KINDS:
                raise PolicyFileError(f"{name}：未知的政策分类 [[{kind}]]")
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise PolicyFileError(f"{name}：[[{kind}]] 应为表数组")
            for index, item in enumerate(items, start=1):
                reader = _Reader(item, name, kind, index)
                record = _KINDS[kind](reader)
                reader.finish()
                yield kind, record


class _Reader:
    """Typed access to one record's fields; remembers what was read so unknown fields are refused."""

    def __init__(self, raw: dict[str, Any], file: str, kind: str, index: int) -> None:
        self.raw = raw
        self.file = file
        self.where = f"{file} [[{kind}]] 第{index}项"
        self.used: set[str] = set()

    def error(self, message: str) -> PolicyFileError:
        return PolicyFileError(f"{self.where}：{message}")

    def has(self, key: str) -> bool:
        return key in self.raw

    def value(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.raw:
            raise self.error(f"缺少字段 {key}")
        return self.raw[key]

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.error(f"未知字段 {', '.join(unknown)}")

    def text(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{key} 应为非空文本")
        return value

    def boolean(self, key: str) -> bool:
        value = self.value(key)
        if not isinstance(value, bool):
            raise self.error(f"{key} 应为 true 或 false")
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(f"{key} 应为{low}至{high}之间的整数")
        return int(value)

    def period(self, key: str) -> Period:
        value = self.value(key)
        try:
            return Period.parse(value)
        except PeriodError as exc:
            raise self.error(f'{key} 应为YYYY-MM格式的文本，如 "2025-07"') from exc

    def day(self, key: str) -> date:
        value = self.value(key)
        if isinstance(value, datetime) or not isinstance(value, date):
            raise self.error(f"{key} 应为日期，如 2025-09-01")
        return date(value.year, value.month, value.day)

    def fen(self, key: str, value: Any = None) -> int:
        """A positive yuan amount (integer or string, never a float) as fen."""
        raw = self.value(key) if value is None else value
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise self.error(f"{key} 应为整数或文本形式的元金额（不可用小数）")
        try:
            fen = yuan_to_fen(raw)
        except MoneyError as exc:
            raise self.error(f"{key}：{exc}") from exc
        if fen <= 0:
            raise self.error(f"{key} 应为正数")
        return fen

    def rate(self, key: str, value: Any = None) -> Decimal:
        """A rate written as a string ("0.20"), 0 < rate < 1."""
        raw = self.value(key) if value is None else value
        if not isinstance(raw, str):
            raise self.error(f'{key} 应写成文本，如 "0.20"')
        try:
            rate = Decimal(raw.strip())
        except InvalidOperation as exc:
            raise self.error(f"{key} 不是有效的比例：{raw}") from exc
        if not rate.is_finite() or not Decimal(0) < rate < Decimal(1):
            raise self.error(f"{key} 应大于0且小于1")
        return rate

    def table(self, key: str, keys: Sequence[str]) -> dict[str, Any]:
        value = self.value(key)
        if not isinstance(value, dict) or set(value) != set(keys):
            raise self.error(f"{key} 应恰好包含 {', '.join(keys)}")
        return value

    def figure(self, *, open_ended: bool = False) -> dict[str, Any]:
        """The common fields, as keyword arguments for a record."""
        period_from = self.period("period_from")
        period_to: Period | None
        if open_ended and not self.has("period_to"):
            period_to = None
        else:
            period_to = self.period("period_to")
            if period_to < period_from:
                raise self.error("period_to 早于 period_from")
        return {
            "period_from": period_from,
            "period_to": period_to,
            "source": self.text("source"),
            "verified": self.boolean("verified"),
            "file": self.file,
        }

    def fee_year_figure(self) -> dict[str, Any]:
        """Common fields of a resident-scheme record: the fee period is the whole calendar fee year."""
        fee_year = self.integer("fee_year", 2000, 2999)
        common = self.figure()
        if common["period_from"] != Period(fee_year, 1) or common["period_to"] != Period(fee_year, 12):
            raise self.error(f"缴费年度{fee_year}的费款所属期应为{fee_year}-01至{fee_year}-12")
        return {"fee_year": fee_year, **common}


def _medical_contribution(r: _Reader) -> MedicalContribution:
    common = r.fee_year_figure()
    amounts = r.table("annual_yuan", CATEGORIES)
    annual = {category: r.fen(f"annual_yuan.{category}", amounts[category]) for category in CATEGORIES}
    return MedicalContribution(annual_fen=MappingProxyType(annual), **common)


def _window(r: _Reader) -> CollectionWindow:
    common = r.fee_year_figure()
    opens, closes = r.day("opens"), r.day("closes")
    if closes < opens:
        raise r.error("closes 早于 opens")
    return CollectionWindow(opens=opens, closes=closes, **common)


def _whole_yuan(r: _Reader, key: str, fen: int) -> int:
    if fen % 100:
        raise r.error(f"{key} 应为整元金额")
    return fen


def _pension_range(r: _Reader) -> PensionRange:
    common = r.fee_year_figure()
    low = _whole_yuan(r, "min_yuan", r.fen("min_yuan"))
    high = _whole_yuan(r, "max_yuan", r.fen("max_yuan"))
    if high < low:
        raise r.error("max_yuan 小于 min_yuan")
    raw_common = r.value("common_yuan")
    if not isinstance(raw_common, list):
        raise r.error("common_yuan 应为金额数组")
    amounts = tuple(_whole_yuan(r, "common_yuan", r.fen("common_yuan", item)) for item in raw_common)
    if any(not low <= amount <= high for amount in amounts) or list(amounts) != sorted(set(amounts)):
        raise r.error("common_yuan 应为缴费范围内、由小到大且不重复的金额")
    return PensionRange(min_fen=low, max_fen=high, common_fen=amounts, **common)


def _pension_subsidy(r: _Reader) -> PensionSubsidy:
    common = r.fee_year_figure()
    raw_tiers = r.value("tiers")
    if not isinstance(raw_tiers, list) or not raw_tiers or not all(isinstance(t, dict) for t in raw_tiers):
        raise r.error("tiers 应为非空的档次数组")
    tiers: list[SubsidyTier] = []
    for tier in raw_tiers:
        if set(tier) != {"from_yuan", "to_yuan", "subsidy_yuan"}:
            raise r.error("tiers 的每一档应恰好包含 from_yuan, to_yuan, subsidy_yuan")
        low = _whole_yuan(r, "tiers.from_yuan", r.fen("tiers.from_yuan", tier["from_yuan"]))
        high = _whole_yuan(r, "tiers.to_yuan", r.fen("tiers.to_yuan", tier["to_yuan"]))
        if high < low:
            raise r.error("tiers 中 to_yuan 小于 from_yuan")
        if tiers and low != tiers[-1].to_fen + 100:
            raise r.error("tiers 应由小到大、首尾相接（下一档从上一档的下一元开始）")
        tiers.append(SubsidyTier(low, high, r.fen("tiers.subsidy_yuan", tier["subsidy_yuan"])))
    return PensionSubsidy(tiers=tuple(tiers), **common)


def _base_limits(r: _Reader) -> BaseLimits:
    base_year = r.integer("base_year", 2000, 2999)
    common = r.figure()
    lower, upper = r.fen("lower_yuan"), r.fen("upper_yuan")
    if upper < lower:
        raise r.error("upper_yuan 小于 lower_yuan")
    return BaseLimits(base_year=base_year, lower_fen=lower, upper_fen=upper, **common)


def _rates(r: _Reader) -> ContributionRates:
    common = r.figure()
    raw = r.table("rates", INSURANCE_TYPES)
    rates = {kind: r.rate(f"rates.{kind}", raw[kind]) for kind in INSURANCE_TYPES}
    return ContributionRates(rates=MappingProxyType(rates), **common)


def _due_date(r: _Reader) -> DueDateRule:
    common = r.figure(open_ended=True)
    months_after = r.integer("months_after", 0, 12)
    raw_day = r.value("day")
    day: int | None
    if raw_day == "last":
        day = None
    elif isinstance(raw_day, int) and not isinstance(raw_day, bool) and 1 <= raw_day <= 28:
        day = raw_day
    else:
        raise r.error('day 应为 "last" 或1至28之间的整数')
    return DueDateRule(months_after=months_after, day=day, **common)


def _late_fee(r: _Reader) -> LateFeeRate:
    common = r.figure(open_ended=True)
    return LateFeeRate(daily_rate=r.rate("daily_rate"), **common)


_KINDS: Mapping[str, Callable[[_Reader], Figure]] = MappingProxyType(
    {
        "resident_medical.contributions": _medical_contribution,
        "resident_medical.collection_windows": _window,
        "resident_pension.ranges": _pension_range,
        "resident_pension.payment_windows": _window,
        "resident_pension.subsidies": _pension_subsidy,
        "flexible_employment.base_limits": _base_limits,
        "flexible_employment.rates": _rates,
        "flexible_employment.due_dates": _due_date,
        "late_fee.daily_rates": _late_fee,
    }
)


def _check_no_overlap(kind: str, records: Sequence[Figure]) -> None:
    for earlier, later in zip(records, records[1:], strict=False):
        if earlier.period_to is None or later.period_from <= earlier.period_to:
            raise PolicyFileError(f"[[{kind}]] 期间重叠：{earlier.describe()} 与 {later.describe()}")


def _check_windows_apart(kind: str, found: Mapping[str, Sequence[Figure]]) -> None:
    windows = sorted((w for w in found[kind] if isinstance(w, CollectionWindow)), key=lambda w: w.opens)
    for earlier, later in zip(windows, windows[1:], strict=False):
        if later.opens <= earlier.closes:
            raise PolicyFileError(
                f"[[{kind}]] 缴费期重叠：{earlier.fee_year}年度（{earlier.file}）"
                f"与{later.fee_year}年度（{later.file}）"
            )


def _check_subsidies_cover_ranges(found: Mapping[str, Sequence[Figure]]) -> None:
    ranges = {r.fee_year: r for r in found["resident_pension.ranges"] if isinstance(r, PensionRange)}
    subsidies = (s for s in found["resident_pension.subsidies"] if isinstance(s, PensionSubsidy))
    for subsidy in subsidies:
        pension_range = ranges.get(subsidy.fee_year)
        if pension_range is None:
            continue
        low, high = subsidy.tiers[0].from_fen, subsidy.tiers[-1].to_fen
        if low > pension_range.min_fen or high < pension_range.max_fen:
            raise PolicyFileError(
                f"{subsidy.file} [[resident_pension.subsidies]] "
                f"{subsidy.fee_year}年度补贴档次未覆盖全部缴费范围"
            )


__all__ = [
    "CATEGORIES",
    "DEFAULT_REGION",
    "INSURANCE_TYPES",
    "SCHEME_LABELS",
    "BaseLimits",
    "CollectionWindow",
    "ContributionRates",
    "DueDateRule",
    "Figure",
    "LateFeeRate",
    "MedicalContribution",
    "PensionRange",
    "PensionSubsidy",
    "PolicyFileError",
    "PolicyMissing",
    "PolicyTables",
    "SubsidyTier",
    "build_policy",
    "default_policy",
    "load_policy",
    "packaged_directory",
]
