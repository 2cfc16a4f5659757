"""The policy tables as the console shows them (read-only): one section per kind of record, each row with
its fee periods, its figures in 元, its source and whether it was verified against an official text."""

from __future__ import annotations

from dataclasses import dataclass

from shebao.enrolment.terms import CATEGORY_LABELS, INSURANCE_TYPE_LABELS
from shebao.kit.money import format_yuan
from shebao.policy.tables import CollectionWindow, Figure, PolicyTables


@dataclass(frozen=True)
class PolicyRow:
    key: str  # the fee year, base year or first fee period the record is about
    periods: str  # 费款所属期 2026-01 至 2026-12
    figures: list[tuple[str, str]]  # (label, value) pairs
    source: str
    verified: bool
    file: str

    @property
    def verified_label(self) -> str:
        return "已核对" if self.verified else "未核对"


@dataclass(frozen=True)
class PolicySection:
    kind: str
    scheme: str
    title: str
    rows: list[PolicyRow]


def _periods(figure: Figure) -> str:
    end = str(figure.period_to) if figure.period_to else "长期有效"
    return f"{figure.period_from} 至 {end}"


def _row(figure: Figure, key: str, figures: list[tuple[str, str]]) -> PolicyRow:
    return PolicyRow(key, _periods(figure), figures, figure.source, figure.verified, figure.file)


def _window(window: CollectionWindow) -> PolicyRow:
    return _row(window, str(window.fee_year), [("开始", str(window.opens)), ("截止", str(window.closes))])


def _percent(rate: object) -> str:
    text = f"{rate * 100:f}".rstrip("0").rstrip(".")  # type: ignore[operator]
    return f"{text}%"


def sections(tables: PolicyTables) -> list[PolicySection]:
    """Every record of the region, by kind, in the order of the files' periods."""
    medical = [
        _row(
            record,
            str(record.fee_year),
            [(CATEGORY_LABELS.get(c, c), format_yuan(fen)) for c, fen in record.annual_fen.items()],
        )
        for record in tables.medical_contributions
    ]
    ranges = [
        _row(
            record,
            str(record.fee_year),
            [
                ("最低", format_yuan(record.min_fen)),
                ("最高", format_yuan(record.max_fen)),
                ("常用档次", " ".join(format_yuan(fen) for fen in record.common_fen)),
            ],
        )
        for record in tables.pension_ranges
    ]
    subsidies = [
        _row(
            record,
            str(record.fee_year),
            [
                (f"{format_yuan(t.from_fen)}–{format_yuan(t.to_fen)}", f"补贴 {format_yuan(t.subsidy_fen)}")
                for t in record.tiers
            ],
        )
        for record in tables.pension_subsidies
    ]
    limits = [
        _row(
            record,
            f"{record.base_year}年度",
            [("下限", format_yuan(record.lower_fen)), ("上限", format_yuan(record.upper_fen))],
        )
        for record in tables.base_limits
    ]
    rates = [
        _row(
            record,
            str(record.period_from),
            [(INSURANCE_TYPE_LABELS.get(t, t), _percent(rate)) for t, rate in record.rates.items()],
        )
        for record in tables.rates
    ]
    due = [
        _row(
            record,
            str(record.period_from),
            [
                (
                    "期限",
                    f"费款所属期后第{record.months_after}个月"
                    + ("最后一日" if record.day is None else f"{record.day}日"),
                )
            ],
        )
        for record in tables.due_date_rules
    ]
    late = [
        _row(record, str(record.period_from), [("日滞纳金比例", _percent(record.daily_rate))])
        for record in tables.late_fee_rates
    ]
    return [
        PolicySection(
            "medical_contributions", "resident_medical", "城乡居民基本医疗保险 个人缴费标准（每年）", medical
        ),
        PolicySection(
            "medical_windows",
            "resident_medical",
            "城乡居民基本医疗保险 集中缴费期",
            [_window(w) for w in tables.medical_windows],
        ),
        PolicySection("pension_ranges", "resident_pension", "城乡居民养老保险 缴费档次（每年）", ranges),
        PolicySection(
            "pension_windows",
            "resident_pension",
            "城乡居民养老保险 缴费期",
            [_window(w) for w in tables.pension_windows],
        ),
        PolicySection("pension_subsidies", "resident_pension", "城乡居民养老保险 政府缴费补贴", subsidies),
        PolicySection("base_limits", "flexible_employment", "灵活就业人员 缴费基数上下限（每月）", limits),
        PolicySection("rates", "flexible_employment", "灵活就业人员 缴费费率", rates),
        PolicySection("due_date_rules", "flexible_employment", "灵活就业人员 缴费期限", due),
        PolicySection("late_fee_rates", "late_fee", "滞纳金", late),
    ]
