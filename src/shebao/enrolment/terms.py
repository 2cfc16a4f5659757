"""An enrolment's terms as plain values: what the agency says, what payables are priced from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from shebao.kit.periods import Period
from shebao.policy.tables import SCHEME_LABELS

RESIDENT_MEDICAL: Final = "resident_medical"
RESIDENT_PENSION: Final = "resident_pension"
FLEXIBLE_EMPLOYMENT: Final = "flexible_employment"
SCHEMES: Final = (RESIDENT_MEDICAL, RESIDENT_PENSION, FLEXIBLE_EMPLOYMENT)

CATEGORY_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {"student_child": "学生儿童", "working_age": "劳动年龄内居民", "elderly": "老年人"}
)
INSURANCE_TYPE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pension": "基本养老保险",
        "unemployment": "失业保险",
        "medical": "基本医疗保险",
        "work_injury": "工伤保险",
    }
)


# Chinese names of the terms, for reports and audit (`changed_fields`).
TERM_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "category": "人员类别",
        "insurance_types": "险种",
        "monthly_base_fen": "月缴费基数",
        "annual_amount_fen": "年缴费金额",
        "tax_office_code": "主管税务机关",
        "agency_code": "社保经办机构",
        "period_start": "费款所属期起",
        "period_end": "费款所属期止",
    }
)


def scheme_label(scheme: str) -> str:
    return SCHEME_LABELS.get(scheme, scheme)


@dataclass(frozen=True)
class EnrolmentTerms:
    """Everything an enrolment says about one person in one scheme (the person is kept apart)."""

    scheme: str
    tax_office_code: str
    agency_code: str
    category: str | None = None  # resident_medical
    insurance_types: tuple[str, ...] = ()  # flexible_employment, in INSURANCE_TYPES order
    monthly_base_fen: int | None = None  # flexible_employment, as sent (clamped when priced)
    annual_amount_fen: int | None = None  # resident_pension, the chosen amount (None: the minimum)
    period_start: Period | None = None  # required for flexible_employment
    period_end: Period | None = None  # no payables after it

    def covers(self, period: Period) -> bool:
        """Does the enrolment run in this fee period?"""
        if self.period_start is not None and period < self.period_start:
            return False
        return self.period_end is None or period <= self.period_end

    def covers_year(self, fee_year: int) -> bool:
        """Does the enrolment run in any month of this fee year (resident schemes are annual)?"""
        starts_in_time = self.period_start is None or self.period_start <= Period(fee_year, 12)
        ends_in_time = self.period_end is None or self.period_end >= Period(fee_year, 1)
        return starts_in_time and ends_in_time

    def changed_fields(self, other: EnrolmentTerms) -> list[str]:
        """The names (TERM_LABELS keys) of the terms that differ between two versions."""
        return [name for name in TERM_LABELS if getattr(self, name) != getattr(other, name)]

    def audit_view(self) -> dict[str, object]:
        """The terms as JSON for audit rows (nothing personal in them)."""
        return {
            "scheme": self.scheme,
            "category": self.category,
            "insurance_types": list(self.insurance_types),
            "monthly_base_fen": self.monthly_base_fen,
            "annual_amount_fen": self.annual_amount_fen,
            "tax_office_code": self.tax_office_code,
            "agency_code": self.agency_code,
            "period_start": str(self.period_start) if self.period_start else None,
            "period_end": str(self.period_end) if self.period_end else None,
        }


def join_insurance_types(types: tuple[str, ...]) -> str | None:
    return ";".join(types) if types else None


def split_insurance_types(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(";") if part)
