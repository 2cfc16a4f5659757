"""Which payables an enrolment has due today, at what amount, and what waits for a policy table.

Pure: the enrolment terms, the policy tables and `today` are passed in; the figures come from
`shebao.policy.calc` (never re-derived here).

- resident medical: one annual payable for the fee year collectable today (its collection window,
  Sept 1 – Dec 31 of the year before), at the category's amount; due on the window's last day.
- resident pension: one annual payable for the fee year collectable today (April 1 – Dec 10), at the
  enrolment's chosen amount (brought into the year's range if that range changed) or the year's
  minimum; due on the window's last day. The payer may choose another amount when declaring.
- flexible employment: one payable per insurance type and month, from `period_start` to the current
  fee period (or `period_end`, if earlier): the clamped base × rate, due per the due-date rule. An
  unpaid month past its due date carries a late fee as of today.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from shebao.enrolment.terms import (
    FLEXIBLE_EMPLOYMENT,
    RESIDENT_MEDICAL,
    RESIDENT_PENSION,
    EnrolmentTerms,
    scheme_label,
)
from shebao.errors import Inconsistent
from shebao.kit.periods import Period
from shebao.policy.calc import (
    Collectable,
    clamp_base,
    flexible_contribution,
    flexible_due_date,
    flexible_late_fee,
    levy_item,
    pension_collectable,
    pension_range,
    pension_window,
    resident_medical_amount,
    resident_medical_collectable,
    resident_medical_window,
)
from shebao.policy.tables import PolicyMissing, PolicyTables

# 征收项目 of the resident schemes: the names the guide's detail screens show ("城乡居民基本医疗保险费",
# 明细数据). Flexible employment uses the tax core's fund-income items of `policy.calc.LEVY_ITEMS`.
RESIDENT_LEVY_ITEMS: Final = {
    RESIDENT_MEDICAL: "城乡居民基本医疗保险费",
    RESIDENT_PENSION: "城乡居民基本养老保险费",
}


def levy_item_of(scheme: str, insurance_type: str | None) -> str:
    if scheme == FLEXIBLE_EMPLOYMENT:
        if insurance_type is None:
            raise ValueError("a flexible-employment payable has an insurance type")
        return levy_item(insurance_type)
    return RESIDENT_LEVY_ITEMS[scheme]


@dataclass(frozen=True, order=True)
class ItemKey:
    """What identifies a payable within its enrolment: levy item (via scheme and type) and fee period."""

    period_start: Period
    scheme: str
    insurance_type: str | None = None

    @property
    def levy_item(self) -> str:
        return levy_item_of(self.scheme, self.insurance_type)


@dataclass(frozen=True)
class Priced:
    key: ItemKey
    period_end: Period
    base_amount_fen: int  # the contribution, without any late fee
    due_date: date

    @property
    def levy_item(self) -> str:
        return self.key.levy_item


@dataclass(frozen=True)
class Waiting:
    """A payable that is due but cannot be priced: its policy table is missing."""

    key: ItemKey
    missing: PolicyMissing


@dataclass(frozen=True)
class Plan:
    """The payables an enrolment has due up to now, and what cannot be priced yet.

    `through`, when `advances`: every payable due up to this fee period is in `items` (None: the
    earliest ones wait for a table, or none are due yet). `advances` is False for a resident scheme
    outside its collection window: nothing new is due, so the mark set before stays. `last` is the
    last fee period looked at; `open_ended` says more periods will follow it (no `period_end` yet).
    """

    items: tuple[Priced, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    through: Period | None = None
    advances: bool = True
    notes: tuple[str, ...] = field(default=())
    last: Period | None = None
    open_ended: bool = False

    def describe(self) -> list[str]:
        """What the report says beside 已导入/已更新: the payables waiting, and why nothing is due."""
        return [*self.notes, *describe_waiting(self.waiting, self.last, open_ended=self.open_ended)]


# ------------------------------------------------------------------------------ one payable


def price(terms: EnrolmentTerms, policy: PolicyTables, key: ItemKey) -> Priced:
    """The amount and due date of one payable of this enrolment; PolicyMissing without a table."""
    if key.scheme == FLEXIBLE_EMPLOYMENT:
        if key.insurance_type is None or terms.monthly_base_fen is None:  # the import requires them
            raise Inconsistent("灵活就业人员的参保信息缺少险种或缴费基数")
        amount = flexible_contribution(policy, key.period_start, key.insurance_type, terms.monthly_base_fen)
        return Priced(key, key.period_start, amount, flexible_due_date(policy, key.period_start))
    fee_year = key.period_start.year
    end = Period(fee_year, 12)
    if key.scheme == RESIDENT_MEDICAL:
        if terms.category is None:  # the import requires it
            raise Inconsistent("城乡居民医疗保险的参保信息缺少人员类别")
        amount = resident_medical_amount(policy, fee_year, terms.category)
        return Priced(key, end, amount, resident_medical_window(policy, fee_year)[1])
    if key.scheme == RESIDENT_PENSION:
        low, high = pension_range(policy, fee_year)
        chosen = terms.annual_amount_fen
        amount = low if chosen is None else clamp_base(chosen, low, high)
        return Priced(key, end, amount, pension_window(policy, fee_year)[1])
    raise ValueError(f"unknown scheme {key.scheme!r}")


def late_fee_fen(
    policy: PolicyTables, scheme: str, period_start: Period, base_amount_fen: int, today: date
) -> int:
    """The late fee accrued to `today` (resident schemes have none: they are paid in their window)."""
    if scheme != FLEXIBLE_EMPLOYMENT:
        return 0
    return flexible_late_fee(policy, period_start, base_amount_fen, today)


# ------------------------------------------------------------------------------ what is due


def plan(terms: EnrolmentTerms, policy: PolicyTables, today: date, *, until: Period | None = None) -> Plan:
    """Every payable due for the enrolment as of `today` (flexible months up to `until`, default now)."""
    if terms.scheme == FLEXIBLE_EMPLOYMENT:
        return _plan_flexible(terms, policy, min(until or Period.of(today), Period.of(today)))
    if terms.scheme == RESIDENT_MEDICAL:
        return _plan_annual(terms, policy, today, resident_medical_collectable, "集中缴费期")
    if terms.scheme == RESIDENT_PENSION:
        return _plan_annual(terms, policy, today, pension_collectable, "缴费期")
    raise ValueError(f"unknown scheme {terms.scheme!r}")


def _plan_flexible(terms: EnrolmentTerms, policy: PolicyTables, current: Period) -> Plan:
    if terms.period_start is None:  # the import requires it
        raise Inconsistent("灵活就业人员的参保信息缺少起始所属期")
    last = current if terms.period_end is None else min(current, terms.period_end)
    if terms.period_start > last:
        return Plan(notes=(f"{terms.period_start}起的应缴费将按月生成",))
    items: list[Priced] = []
    waiting: list[Waiting] = []
    through: Period | None = None
    for period in Period.range(terms.period_start, last):
        for insurance_type in terms.insurance_types:
            key = ItemKey(period, FLEXIBLE_EMPLOYMENT, insurance_type)
            try:
                items.append(price(terms, policy, key))
            except PolicyMissing as exc:
                waiting.append(Waiting(key, exc))
        if not waiting:
            through = period
    open_ended = terms.period_end is None or terms.period_end > last
    return Plan(tuple(items), tuple(waiting), through, last=last, open_ended=open_ended)


CollectableOf = Callable[[PolicyTables, date], Collectable]


def _plan_annual(
    terms: EnrolmentTerms,
    policy: PolicyTables,
    today: date,
    collectable_of: CollectableOf,
    window_name: str,
) -> Plan:
    label = scheme_label(terms.scheme)
    try:
        collectable = collectable_of(policy, today)
    except PolicyMissing as exc:
        return Plan(notes=(f"{label}应缴费待缴费期公布后生成（{exc.message}）",), advances=False)
    if not collectable.is_open or collectable.fee_year is None:
        note = f"当前不在{label}{window_name}，应缴费将在缴费期开始后生成"
        if collectable.message:
            note += f"（{collectable.message}）"
        return Plan(notes=(note,), advances=False)
    fee_year = collectable.fee_year
    through = Period(fee_year, 12)
    if not terms.covers_year(fee_year):
        return Plan(through=through, notes=(f"{fee_year}年度不在参保期间，未生成应缴费",))
    key = ItemKey(Period(fee_year, 1), terms.scheme)
    try:
        return Plan(items=(price(terms, policy, key),), through=through)
    except PolicyMissing as exc:
        return Plan(waiting=(Waiting(key, exc),))


# ------------------------------------------------------------------------------ report text


def _table_name(missing: PolicyMissing) -> str:
    """ "缺少2026-07灵活就业人员缴费基数上下限" → "灵活就业人员缴费基数上下限"."""
    return missing.message.removeprefix("缺少").replace(missing.key, "", 1).removeprefix("年")


def describe_waiting(waiting: Sequence[Waiting], last: Period | None, *, open_ended: bool) -> list[str]:
    """`2026-07起的灵活就业人员应缴费待缴费标准公布后生成（缺少2026-07起的灵活就业人员缴费基数上下限）`."""
    lines: list[str] = []
    monthly: set[tuple[Period, str]] = set()
    for item in waiting:
        if item.key.scheme == FLEXIBLE_EMPLOYMENT:
            monthly.add((item.key.period_start, _table_name(item.missing)))
            continue
        label = scheme_label(item.key.scheme)
        lines.append(
            f"{item.key.period_start.year}年度{label}应缴费待缴费标准公布后生成（{item.missing.message}）"
        )
    runs: list[tuple[Period, Period, str]] = []
    for period, table in sorted(monthly):
        if runs and runs[-1][2] == table and runs[-1][1].next() == period:
            runs[-1] = (runs[-1][0], period, table)
        else:
            runs.append((period, period, table))
    for first, end, table in runs:
        if open_ended and end == last:
            span = f"{first}起"
        elif first == end:
            span = f"{first}"
        else:
            span = f"{first}至{end}"
        lines.append(f"{span}的灵活就业人员应缴费待缴费标准公布后生成（缺少{span}的{table}）")
    return lines
