"""Reading policy files: TOML text into validated records (`build_policy`). Unknown sections and fields are
refused, so a typo cannot silently drop a figure; records of one kind must not overlap."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from shebao.kit.money import MoneyError, yuan_to_fen
from shebao.kit.periods import Period, PeriodError
from shebao.policy.records import (
    CATEGORIES,
    INSURANCE_TYPES,
    BaseLimits,
    CollectionWindow,
    ContributionRates,
    DueDateRule,
    Figure,
    FigureT,
    LateFeeRate,
    MedicalContribution,
    PensionRange,
    PensionSubsidy,
    PolicyFileError,
    PolicyTables,
    SubsidyTier,
)


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
