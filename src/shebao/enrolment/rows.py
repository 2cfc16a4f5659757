"""One enrolment row (a CSV line or a JSON object of the agency API) → `EnrolmentRow`, or why not.

Pure: the reference codes, the policy and `today` come from the caller. Every problem of a row is
found (not just the first) and reported together, in Chinese, naming the column:
`缺少必填项：人员类别（category）；主管税务机关代码不存在：11101020999`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from shebao.enrolment.terms import (
    FLEXIBLE_EMPLOYMENT,
    RESIDENT_MEDICAL,
    RESIDENT_PENSION,
    SCHEMES,
    EnrolmentTerms,
    scheme_label,
)
from shebao.identity.documents import Document, DocumentError, validate, validate_phone
from shebao.kit.money import yuan_to_fen
from shebao.kit.periods import Period, PeriodError
from shebao.kit.text import invisible_characters, normalise_name
from shebao.policy.calc import PolicyError, check_pension_amount, pension_collectable, pension_range
from shebao.policy.tables import CATEGORIES, INSURANCE_TYPES, PolicyMissing, PolicyTables

COLUMNS: Final = (
    "id_type",
    "id_number",
    "name",
    "phone",
    "scheme",
    "category",
    "insurance_types",
    "monthly_base_yuan",
    "annual_amount_yuan",
    "tax_office_code",
    "agency_code",
    "period_start",
    "period_end",
)
_KNOWN: Final = frozenset(COLUMNS)
REQUIRED_COLUMNS: Final = ("id_type", "id_number", "name", "scheme", "tax_office_code", "agency_code")
COLUMN_LABELS: Final = {
    "id_type": "证件类型",
    "id_number": "证件号码",
    "name": "姓名",
    "phone": "手机号码",
    "scheme": "参保项目",
    "category": "人员类别",
    "insurance_types": "险种",
    "monthly_base_yuan": "月缴费基数",
    "annual_amount_yuan": "年缴费金额",
    "tax_office_code": "主管税务机关代码",
    "agency_code": "社保经办机构代码",
    "period_start": "费款所属期起",
    "period_end": "费款所属期止",
}

# Per scheme: the columns a row must fill, and those it must leave empty (the rest are optional).
_REQUIRED_BY_SCHEME: Final = {
    RESIDENT_MEDICAL: ("category",),
    RESIDENT_PENSION: (),
    FLEXIBLE_EMPLOYMENT: ("insurance_types", "monthly_base_yuan", "period_start"),
}
_NOT_FOR_SCHEME: Final = {
    RESIDENT_MEDICAL: ("insurance_types", "monthly_base_yuan", "annual_amount_yuan"),
    RESIDENT_PENSION: ("category", "insurance_types", "monthly_base_yuan"),
    FLEXIBLE_EMPLOYMENT: ("category", "annual_amount_yuan"),
}

_AMOUNT = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")
_MAX_AMOUNT_FEN = 100_000_000_00  # 1亿元: far above any base or contribution, far below overflow
_MAX_NAME = 64
_EARLIEST_PERIOD = Period(2000, 1)


def column(name: str) -> str:
    """`人员类别（category）`: how reasons name a column."""
    return f"{COLUMN_LABELS[name]}（{name}）"


class RowRejected(ValueError):
    """A row that cannot be imported; `reason` lists every problem, in Chinese."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class RowContext:
    """What checking a row needs from outside: today, the policy, the known codes."""

    today: date
    policy: PolicyTables
    tax_offices: frozenset[str]
    agencies: frozenset[str]


@dataclass(frozen=True)
class EnrolmentRow:
    document: Document
    name: str
    phone: str | None
    terms: EnrolmentTerms


def _text(value: object) -> str | None:
    """A cell as stripped text ('' for empty); None when it is not text or a number (a JSON list...)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


class _Checker:
    def __init__(self, values: Mapping[str, object]) -> None:
        self.problems: list[str] = []
        self.cells: dict[str, str] = {}
        self.malformed: set[str] = set()
        unknown = [key for key in values if key not in _KNOWN]
        if unknown:
            self.problems.append("未知字段：" + "、".join(sorted(str(key) for key in unknown)))
        for name in COLUMNS:
            cell = _text(values.get(name))
            if cell is None:
                self.problems.append(f"{column(name)}格式不正确")
                self.malformed.add(name)
                cell = ""
            self.cells[name] = cell

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def get(self, name: str) -> str:
        return self.cells[name]

    def required(self, name: str) -> str | None:
        value = self.cells[name]
        if not value:
            if name not in self.malformed:
                self.fail(f"缺少必填项：{column(name)}")
            return None
        return value

    def amount_fen(self, name: str) -> int | None:
        value = self.cells[name]
        if not value:
            return None
        if not _AMOUNT.fullmatch(value):
            self.fail(f"{column(name)}应为正数金额（元，最多两位小数）：{value}")
            return None
        fen = yuan_to_fen(value)
        if fen <= 0:
            self.fail(f"{column(name)}应为正数金额：{value}")
            return None
        if fen > _MAX_AMOUNT_FEN:
            self.fail(f"{column(name)}金额过大：{value}")
            return None
        return fen

    def period(self, name: str) -> Period | None:
        value = self.cells[name]
        if not value:
            return None
        try:
            period = Period.parse(value)
        except PeriodError:
            self.fail(f"{column(name)}格式应为YYYY-MM：{value}")
            return None
        if period < _EARLIEST_PERIOD:
            self.fail(f"{column(name)}不能早于{_EARLIEST_PERIOD}：{value}")
            return None
        return period


def parse_row(values: Mapping[str, object], context: RowContext) -> EnrolmentRow:
    """Check one row; answers the validated row or raises `RowRejected` with every problem found."""
    check = _Checker(values)

    document: Document | None = None
    id_type, id_number = check.required("id_type"), check.required("id_number")
    if id_type is not None and id_number is not None:
        try:
            document = validate(id_type, id_number, today=context.today)
        except DocumentError as exc:
            check.fail(exc.message)

    name = check.required("name")
    if name is not None:
        hidden = invisible_characters(name)
        name = normalise_name(name)
        if hidden:
            check.fail(
                f"{column('name')}含有不可见字符（{'、'.join(hidden)}）：零宽、文字方向控制等字符无法输入，"
                "请删除后重新提交"
            )
        elif len(name) > _MAX_NAME:
            check.fail(f"{column('name')}过长（最多{_MAX_NAME}个字）")

    phone: str | None = None
    if check.get("phone"):
        try:
            phone = validate_phone(check.get("phone"))
        except DocumentError as exc:
            check.fail(exc.message)

    tax_office = check.required("tax_office_code")
    if tax_office is not None and tax_office not in context.tax_offices:
        check.fail(f"主管税务机关代码不存在：{tax_office}")
    agency = check.required("agency_code")
    if agency is not None and agency not in context.agencies:
        check.fail(f"社保经办机构代码不存在：{agency}")

    period_start, period_end = check.period("period_start"), check.period("period_end")
    if period_start is not None and period_end is not None and period_end < period_start:
        check.fail(f"{column('period_end')}不能早于{column('period_start')}")

    scheme = check.required("scheme")
    terms: EnrolmentTerms | None = None
    if scheme is not None and scheme not in SCHEMES:
        check.fail(f"{column('scheme')}不正确：{scheme}，应为 {'、'.join(SCHEMES)} 之一")
    elif scheme is not None:
        terms = _scheme_terms(check, scheme, context, period_start, period_end)

    if check.problems or document is None or name is None or terms is None:
        raise RowRejected("；".join(check.problems) or "数据不完整")
    return EnrolmentRow(document=document, name=name, phone=phone, terms=terms)


def _scheme_terms(
    check: _Checker, scheme: str, context: RowContext, start: Period | None, end: Period | None
) -> EnrolmentTerms | None:
    label = scheme_label(scheme)
    for name in _NOT_FOR_SCHEME[scheme]:
        if check.get(name):
            check.fail(f"{label}不填写{column(name)}")
    for name in _REQUIRED_BY_SCHEME[scheme]:
        check.required(name)

    category: str | None = None
    insurance_types: tuple[str, ...] = ()
    base_fen: int | None = None
    annual_fen: int | None = None
    if scheme == RESIDENT_MEDICAL:
        category = check.get("category") or None
        if category is not None and category not in CATEGORIES:
            check.fail(f"{column('category')}不正确：{category}，应为 {'、'.join(CATEGORIES)} 之一")
    elif scheme == RESIDENT_PENSION:
        annual_fen = _pension_amount(check, context)
    else:
        insurance_types = _insurance_types(check)
        base_fen = check.amount_fen("monthly_base_yuan")

    return EnrolmentTerms(
        scheme=scheme,
        tax_office_code=check.get("tax_office_code"),
        agency_code=check.get("agency_code"),
        category=category,
        insurance_types=insurance_types,
        monthly_base_fen=base_fen,
        annual_amount_fen=annual_fen,
        period_start=start,
        period_end=end,
    )


def _insurance_types(check: _Checker) -> tuple[str, ...]:
    raw = check.get("insurance_types")
    if not raw:
        return ()
    parts = [part.strip() for part in raw.replace("；", ";").split(";")]
    parts = [part for part in parts if part]
    unknown = [part for part in parts if part not in INSURANCE_TYPES]
    if unknown:
        check.fail(
            f"{column('insurance_types')}不正确：{'、'.join(unknown)}，"
            f"应为 {'、'.join(INSURANCE_TYPES)} 中的一项或多项，以分号分隔"
        )
        return ()
    if len(set(parts)) != len(parts):
        check.fail(f"{column('insurance_types')}重复：{raw}")
        return ()
    if not parts:
        check.fail(f"缺少必填项：{column('insurance_types')}")
        return ()
    return tuple(kind for kind in INSURANCE_TYPES if kind in parts)


def _pension_amount(check: _Checker, context: RowContext) -> int | None:
    """The chosen annual amount: whole yuan, inside the range of the fee year payable now (if known)."""
    fen = check.amount_fen("annual_amount_yuan")
    if fen is None:
        return None
    try:
        collectable = pension_collectable(context.policy, context.today)
        fee_year = collectable.fee_year or context.today.year
        pension_range(context.policy, fee_year)
    except PolicyMissing:
        if fen % 100:
            check.fail(f"{column('annual_amount_yuan')}应为整元金额")
            return None
        return fen  # the year's range is not published yet: checked again when priced
    try:
        return check_pension_amount(context.policy, fee_year, fen)
    except PolicyError as exc:
        check.fail(f"{column('annual_amount_yuan')}不正确：{exc.message}")
        return None
