"""The dashboards' figures over the seeded world: exact numbers, the same as sums computed in plain SQL,
and never another tax office's."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from shebao.console.dashboards.figures import DateRange, Dimension, parse_range
from shebao.console.dashboards.service import Dashboards, Query
from shebao.console.staff import Role, Staff
from shebao.db import UTCDateTime
from shebao.errors import NotFound, ValidationFailed
from shebao.kit.clock import start_of_local_day
from tests.support.dashboards import DONGZHIMEN, JINRONGJIE, SHISHAHAI, WANGJING

TODAY = date(2025, 11, 21)
SPAN = DateRange(date(2025, 10, 23), TODAY)  # the default: the last 30 days
OFFICES = (SHISHAHAI, JINRONGJIE, DONGZHIMEN, WANGJING)
ADMIN = Staff(uuid.uuid4(), "admin", Role.ADMIN, None)


def _operator(office: str, role: Role = Role.VIEWER) -> Staff:
    return Staff(uuid.uuid4(), f"op-{office}", role, office)


def _query(session: Session, staff: Staff, office: str | None = None) -> tuple[Dashboards, Query]:
    dashboards = Dashboards(session, staff)
    return dashboards, dashboards.query(start=None, end=None, tax_office=office, today=TODAY)


def _rows(found: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(vars(row).values()) for row in found]


# --- the same figures, summed in plain SQL -------------------------------------------------------------

_KEYS = {
    Dimension.SCHEME: "d.scheme",
    Dimension.DISTRICT: "t.region_code",
    Dimension.CHANNEL: "p.channel",
    Dimension.METHOD: "p.method",
}


def _office_clause(office: str | None, column: str) -> str:
    return "" if office is None else f" AND {column} = :office"


def _sql_collections(session: Session, by: Dimension, office: str | None) -> list[tuple[date, str, int, int]]:
    """Day by day: the succeeded payments between that day's Beijing midnights, summed by the key."""
    statement = text(
        f"SELECT {_KEYS[by]}, count(*), sum(p.amount_fen) FROM payments p"
        " JOIN declarations d ON d.id = p.declaration_id JOIN tax_offices t ON t.code = d.tax_office_code"
        " WHERE p.status = 'succeeded' AND p.succeeded_at >= :lo AND p.succeeded_at < :hi"
        f"{_office_clause(office, 'd.tax_office_code')} GROUP BY {_KEYS[by]}"
    ).bindparams(bindparam("lo", type_=UTCDateTime()), bindparam("hi", type_=UTCDateTime()))
    found = []
    for day in SPAN.days:
        bounds = {"lo": start_of_local_day(day), "hi": start_of_local_day(day + timedelta(days=1))}
        params = bounds | ({"office": office} if office else {})
        found += [(day, key, int(n), int(fen)) for key, n, fen in session.execute(statement, params)]
    return sorted(found)


def _sql_statuses(session: Session, office: str | None) -> list[tuple[str, int, int]]:
    statement = text(
        "SELECT p.status, count(*), sum(p.amount_fen) FROM payments p"
        " JOIN declarations d ON d.id = p.declaration_id WHERE p.created_at >= :lo AND p.created_at < :hi"
        f"{_office_clause(office, 'd.tax_office_code')} GROUP BY p.status"
    ).bindparams(bindparam("lo", type_=UTCDateTime()), bindparam("hi", type_=UTCDateTime()))
    params = {"lo": start_of_local_day(SPAN.start), "hi": start_of_local_day(SPAN.end + timedelta(days=1))}
    rows = session.execute(statement, params | ({"office": office} if office else {}))
    return sorted((status, int(n), int(fen)) for status, n, fen in rows)


def _sql_outcomes(session: Session, office: str | None) -> list[tuple[str, str, int, int]]:
    statement = text(
        "SELECT x.status, CASE WHEN x.status = 'failed' THEN x.failure_reason END,"
        " count(*), sum(x.amount_fen) FROM deductions x JOIN payables y ON y.id = x.payable_id"
        " WHERE x.run_date >= :a AND x.run_date <= :b"
        f"{_office_clause(office, 'y.tax_office_code')} GROUP BY 1, 2"
    ).bindparams(bindparam("a", type_=Date()), bindparam("b", type_=Date()))
    rows = session.execute(
        statement, {"a": SPAN.start, "b": SPAN.end} | ({"office": office} if office else {})
    )
    return sorted((status, reason or "", int(n), int(fen)) for status, reason, n, fen in rows)


def _scopes() -> list[tuple[Staff, str | None, str | None]]:
    """(staff, the office asked for, the office whose rows count; None: all)."""
    scopes: list[tuple[Staff, str | None, str | None]] = [(ADMIN, None, None)]
    scopes += [(ADMIN, office, office) for office in OFFICES]
    scopes += [(_operator(office), None, office) for office in OFFICES]
    return scopes


@pytest.mark.usefixtures("seeded")
def test_every_figure_equals_the_sums_computed_in_sql(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        for staff, asked, counted in _scopes():
            dashboards, query = _query(session, staff, asked)
            for by in Dimension:
                shown = [(r.day, r.key, r.count, r.amount_fen) for r in dashboards.collections(by, query)]
                assert shown == _sql_collections(session, by, counted), (staff.username, asked, by)
            statuses = [(r.status, r.count, r.amount_fen) for r in dashboards.payments_by_status(query)]
            assert statuses == _sql_statuses(session, counted), (staff.username, asked)
            outcomes = [
                (r.status, r.reason or "", r.count, r.amount_fen) for r in dashboards.batch_outcomes(query)
            ]
            assert outcomes == _sql_outcomes(session, counted), (staff.username, asked)


@pytest.mark.usefixtures("seeded")
def test_the_figures_of_shishahai(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        dashboards, query = _query(session, _operator(SHISHAHAI))
        assert (query.span, query.scope.office, query.scope.office_name) == (SPAN, SHISHAHAI, "什刹海税务所")
        assert _rows(dashboards.collections(Dimension.SCHEME, query)) == [
            (date(2025, 10, 23), "flexible_employment", "灵活就业人员", 1, 70_000),
            (date(2025, 11, 3), "resident_medical", "城乡居民基本医疗保险", 1, 38_000),
            (date(2025, 11, 3), "resident_pension", "城乡居民养老保险", 1, 200_000),
            (date(2025, 11, 19), "flexible_employment", "灵活就业人员", 1, 123_456),
            # 00:30 in Beijing on the 20th (16:30 UTC on the 19th)
            (date(2025, 11, 20), "flexible_employment", "灵活就业人员", 1, 50_001),
            (date(2025, 11, 21), "resident_medical", "城乡居民基本医疗保险", 1, 79_500),  # the batch run
        ]
        assert _rows(dashboards.collections(Dimension.METHOD, query)) == [
            (date(2025, 10, 23), "elsewhere", "柜台或银行缴款", 1, 70_000),
            (date(2025, 11, 3), "alipay", "支付宝", 1, 38_000),
            (date(2025, 11, 3), "wechat", "微信支付", 1, 200_000),
            (date(2025, 11, 19), "unionpay", "银联支付", 1, 123_456),
            (date(2025, 11, 20), "alipay", "支付宝", 1, 50_001),
            (date(2025, 11, 21), "agreement", "协议支付", 1, 79_500),
        ]
        assert _rows(dashboards.payments_by_status(query)) == [
            ("closed", "已关闭", 1, 200_000),
            ("failed", "支付失败", 3, 384_000),  # one in real time, two of the batch run
            ("pending", "待支付", 1, 38_000),
            ("succeeded", "支付成功", 6, 560_957),
        ]
        assert _rows(dashboards.batch_outcomes(query)) == [
            ("failed", "扣款失败", "余额不足", 1, 300_000),
            ("failed", "扣款失败", "协议已撤销", 1, 46_000),
            ("succeeded", "扣款成功", None, 1, 79_500),
        ]


@pytest.mark.usefixtures("seeded")
def test_an_admin_sees_the_districts_of_every_office(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        dashboards, query = _query(session, ADMIN)
        assert query.scope.office_name == "全部税务机关"
        on_the_3rd = [
            r for r in dashboards.collections(Dimension.DISTRICT, query) if r.day == date(2025, 11, 3)
        ]
        assert _rows(on_the_3rd) == [
            (date(2025, 11, 3), "110101", "东城区", 1, 38_000),
            (date(2025, 11, 3), "110102", "西城区", 3, 338_000),  # 什刹海 and 金融街
            (date(2025, 11, 3), "110105", "朝阳区", 1, 88_800),
        ]


@pytest.mark.usefixtures("seeded")
def test_an_office_operator_never_sees_another_offices_figures(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session:
        dashboards, query = _query(session, _operator(DONGZHIMEN, Role.ADMIN))  # an admin of one office
        assert _rows(dashboards.collections(Dimension.DISTRICT, query)) == [
            (date(2025, 11, 3), "110101", "东城区", 1, 38_000),
            (date(2025, 11, 10), "110101", "东城区", 1, 150_000),
        ]
        assert _rows(dashboards.payments_by_status(query)) == [
            ("succeeded", "支付成功", 2, 188_000),
            ("unknown", "缴费结果确认中", 1, 150_000),
        ]
        assert dashboards.batch_outcomes(query) == []
        for other in (SHISHAHAI, JINRONGJIE, WANGJING):
            with pytest.raises(NotFound):
                dashboards.query(start=None, end=None, tax_office=other, today=TODAY)
        assert dashboards.office_choices() == [(DONGZHIMEN, "东直门税务所")]


def test_an_unknown_office_is_refused_beside_its_field(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as session, pytest.raises(ValidationFailed) as refused:
        Dashboards(session, ADMIN).query(start=None, end=None, tax_office="99999999999", today=TODAY)
    assert (refused.value.detail, refused.value.fields) == (
        "税务机关代码不存在，请从列表中选择",
        {"tax_office": "不存在"},
    )


class TestParseRange:
    def test_the_last_30_days_by_default(self) -> None:
        assert parse_range(None, "", today=TODAY) == SPAN
        assert parse_range(None, "2025-11-01", today=TODAY) == DateRange(date(2025, 10, 3), date(2025, 11, 1))
        assert parse_range("2025-11-21", None, today=TODAY) == DateRange(TODAY, TODAY)

    @pytest.mark.parametrize(
        ("start", "end", "message", "fields"),
        [
            (
                "2025/11/01",
                None,
                "开始日期格式不正确，请按 年-月-日 填写，如 2025-11-01",
                {"start": "格式应为 YYYY-MM-DD"},
            ),
            (
                None,
                "20251101",
                "结束日期格式不正确，请按 年-月-日 填写，如 2025-11-01",
                {"end": "格式应为 YYYY-MM-DD"},
            ),
            ("2025-02-30", None, "开始日期不是有效的日期，请检查月份和日", {"start": "不是有效的日期"}),
            ("2025-11-10", "2025-11-09", "开始日期不能晚于结束日期", {"start": "不能晚于结束日期"}),
            (None, "2025-11-22", "结束日期不能晚于今天（2025-11-21）", {"end": "不能晚于今天"}),
            (
                "2024-11-20",
                "2025-11-21",
                "日期范围最长 366 天，请缩短开始日期和结束日期之间的范围",
                {"start": "范围过长"},
            ),
        ],
    )
    def test_a_wrong_range_names_its_field(
        self, start: str | None, end: str | None, message: str, fields: dict[str, str]
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            parse_range(start, end, today=TODAY)
        assert (refused.value.status_code, refused.value.detail, refused.value.fields) == (
            422,
            message,
            fields,
        )

    def test_a_year_is_the_longest_range(self) -> None:
        assert parse_range("2024-11-21", "2025-11-21", today=TODAY).days[0] == date(2024, 11, 21)
