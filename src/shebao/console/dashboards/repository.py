"""The dashboards' queries: one GROUP BY statement per figure, the same SQL on SQLite and PostgreSQL.

Each takes `offices`, a condition on a tax office code column (the staff's `office_filter`, narrowed to
a chosen office): a payment counts for its declaration's tax office, a batch deduction for its payable's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from shebao.console.dashboards.figures import (
    BatchOutcome,
    DailyCollection,
    DateRange,
    Dimension,
    StatusTally,
)
from shebao.declarations.models import Declaration
from shebao.deductions.models import DEDUCTION_LABELS, FAILED, Deduction, DeductionBatch, shown_status
from shebao.enrolment.terms import scheme_label
from shebao.kit.clock import start_of_local_day
from shebao.payables.models import Payable
from shebao.payments.models import CHANNEL_LABELS, METHOD_LABELS, STATUS_LABELS, SUCCEEDED, Payment
from shebao.reference.models import Region, TaxOffice

OfficeFilter = Callable[[Any], ColumnElement[bool]]


class shanghai_day(FunctionElement[str]):  # noqa: N801 - a SQL function, named as SQL names them
    """The Asia/Shanghai calendar day (YYYY-MM-DD) of a stored UTC time. China keeps no daylight saving."""

    type = String()
    name = "shanghai_day"
    inherit_cache = True


@compiles(shanghai_day, "sqlite")
def _sqlite_day(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(shanghai_day, "postgresql")
def _postgresql_day(element: shanghai_day, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char({moment} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"


def _between(column: Any, span: DateRange) -> list[ColumnElement[bool]]:
    """`column` (a UTC time) within the range's Shanghai days: plain bounds, so an index can serve them."""
    return [
        column >= start_of_local_day(span.start),
        column < start_of_local_day(span.end + timedelta(days=1)),
    ]


class DashboardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def collections(self, by: Dimension, span: DateRange, offices: OfficeFilter) -> list[DailyCollection]:
        """Succeeded payments per day (of their success) and key of `by`: count and sum of amount_fen."""
        day = shanghai_day(Payment.succeeded_at)
        query = (
            select(day, *self._key(by), func.count(), func.coalesce(func.sum(Payment.amount_fen), 0))
            .join(Declaration, Declaration.id == Payment.declaration_id)
            .where(Payment.status == SUCCEEDED, *_between(Payment.succeeded_at, span))
            .where(offices(Declaration.tax_office_code))
        )
        if by is Dimension.DISTRICT:
            query = query.join(TaxOffice, TaxOffice.code == Declaration.tax_office_code).join(
                Region, Region.code == TaxOffice.region_code
            )
        keys = self._key(by)
        rows = self.session.execute(query.group_by(day, *keys).order_by(day, keys[0]))
        return [
            DailyCollection(
                day=date.fromisoformat(str(row[0])),
                key=row[1],
                label=row[2] if by is Dimension.DISTRICT else _label(by, row[1]),
                count=int(row[-2]),
                amount_fen=int(row[-1]),
            )
            for row in rows
        ]

    @staticmethod
    def _key(by: Dimension) -> tuple[Any, ...]:
        if by is Dimension.SCHEME:
            return (Declaration.scheme,)
        if by is Dimension.DISTRICT:
            return (Region.code, Region.name)
        if by is Dimension.CHANNEL:
            return (Payment.channel,)
        return (Payment.method,)

    def payments_by_status(self, span: DateRange, offices: OfficeFilter) -> list[StatusTally]:
        """Payments created in the range, by the status they are in now."""
        rows = self.session.execute(
            select(Payment.status, func.count(), func.coalesce(func.sum(Payment.amount_fen), 0))
            .join(Declaration, Declaration.id == Payment.declaration_id)
            .where(*_between(Payment.created_at, span), offices(Declaration.tax_office_code))
            .group_by(Payment.status)
            .order_by(Payment.status)
        )
        return [
            StatusTally(
                status=status, label=STATUS_LABELS.get(status, status), count=int(n), amount_fen=int(fen)
            )
            for status, n, fen in rows
        ]

    def batch_outcomes(self, span: DateRange, offices: OfficeFilter) -> list[BatchOutcome]:
        """Batch deduction attempts of the range's run dates, by status and a failure's reason."""
        # A reason only of a failure (an attempt that failed once and was retried is a new row).
        reason = case((Deduction.status == FAILED, Deduction.failure_reason), else_=None)
        status = shown_status()
        rows = self.session.execute(
            select(
                status,
                reason,
                func.count(),
                func.coalesce(func.sum(Deduction.amount_fen), 0),
            )
            .join(Payable, Payable.id == Deduction.payable_id)
            .outerjoin(DeductionBatch, DeductionBatch.id == Deduction.batch_id)
            .where(Deduction.run_date >= span.start, Deduction.run_date <= span.end)
            .where(offices(Payable.tax_office_code))
            .group_by(status, reason)
        )
        found = [
            BatchOutcome(
                status=status,
                label=DEDUCTION_LABELS.get(status, status),
                reason=(why or "原因未说明") if status == FAILED else None,
                count=int(n),
                amount_fen=int(fen),
            )
            for status, why, n, fen in rows
        ]
        # Ordered here: the databases sort NULL and Chinese text each their own way.
        return sorted(found, key=lambda o: (o.status, o.reason or ""))

    def office(self, code: str) -> TaxOffice | None:
        return self.session.get(TaxOffice, code)

    def offices(self) -> list[TaxOffice]:
        return list(self.session.scalars(select(TaxOffice).order_by(TaxOffice.code)))


def _label(by: Dimension, key: str) -> str:
    if by is Dimension.SCHEME:
        return scheme_label(key)
    if by is Dimension.CHANNEL:
        return CHANNEL_LABELS.get(key, key)
    return METHOD_LABELS.get(key, key)
