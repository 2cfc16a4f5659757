"""Whose figures a console user sees: their own tax office's; an admin of all offices, all or one office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from shebao.console.dashboards.figures import (
    BatchOutcome,
    DailyCollection,
    DateRange,
    Dimension,
    StatusTally,
    parse_range,
)
from shebao.console.dashboards.repository import DashboardRepository
from shebao.console.staff import Staff
from shebao.errors import NotFound, ValidationFailed

ALL_OFFICES = "全部税务机关"


@dataclass(frozen=True)
class Scope:
    """The staff member and the tax office they chose (None: every office they see)."""

    staff: Staff
    office: str | None
    office_name: str

    def filter(self, column: Any) -> ColumnElement[bool]:
        seen = self.staff.office_filter(column)
        return seen if self.office is None else and_(seen, column == self.office)


@dataclass(frozen=True)
class Query:
    span: DateRange
    scope: Scope


class Dashboards:
    def __init__(self, session: Session, staff: Staff) -> None:
        self.staff = staff
        self.repository = DashboardRepository(session)

    def query(self, *, start: str | None, end: str | None, tax_office: str | None, today: date) -> Query:
        """Check what was asked (the range, then the office) before anything is computed."""
        span = parse_range(start, end, today=today)
        return Query(span, self.scope(tax_office))

    def scope(self, tax_office: str | None) -> Scope:
        code = (tax_office or "").strip() or None
        if code is None:
            code = self.staff.tax_office_code  # an office operator always sees their office only
            if code is None:
                return Scope(self.staff, None, ALL_OFFICES)
        office = self.repository.office(code)
        if office is None:
            raise ValidationFailed("税务机关代码不存在，请从列表中选择", fields={"tax_office": "不存在"})
        if not self.staff.sees_office(code):
            raise NotFound("未找到该税务机关的统计")
        return Scope(self.staff, code, office.name)

    def collections(self, by: Dimension, query: Query) -> list[DailyCollection]:
        return self.repository.collections(by, query.span, query.scope.filter)

    def payments_by_status(self, query: Query) -> list[StatusTally]:
        return self.repository.payments_by_status(query.span, query.scope.filter)

    def batch_outcomes(self, query: Query) -> list[BatchOutcome]:
        return self.repository.batch_outcomes(query.span, query.scope.filter)

    def office_choices(self) -> list[tuple[str, str]]:
        """The offices this staff member may choose between (an office operator: their own)."""
        return [
            (office.code, office.name)
            for office in self.repository.offices()
            if self.staff.sees_office(office.code)
        ]
