"""`/api/v1/console/dashboards/...` (统计): each figure as JSON and as a `.csv` export of the same items.

Every figure takes `start` and `end` (YYYY-MM-DD, Asia/Shanghai, both included; by default the last 30
days by the service clock, at most 366 days) and `tax_office`: an admin of all offices may choose one
(by default all of them); an office operator sees their own office only (another office is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import Response

from shebao.console.dashboards import schemas
from shebao.console.dashboards.exports import csv_response
from shebao.console.dashboards.figures import Dimension
from shebao.console.dashboards.service import Dashboards
from shebao.console.dashboards.service import Query as FigureQuery
from shebao.console.deps import AnyStaff
from shebao.console.staff import Staff
from shebao.db import Step
from shebao.deps import Work
from shebao.kit.clock import to_shanghai
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1/console/dashboards", tags=["console"])

By = Annotated[Dimension, Query(description="scheme 险种 | district 区 | channel 缴费渠道 | method 支付方式")]
ERRORS = errors(
    s403="角色不足，或尚未修改初始密码", s404="未找到该税务机关的统计（另一税务所的，与不存在的不区分）"
)
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8（带 BOM）的 CSV，列为 JSON 中 items 的字段"},
    **ERRORS,
}


@dataclass
class Asked:
    """The query parameters every figure takes."""

    start: Annotated[
        str | None, Query(max_length=20, description="开始日期 YYYY-MM-DD（含）；默认结束日期前 29 天")
    ] = None
    end: Annotated[str | None, Query(max_length=20, description="结束日期 YYYY-MM-DD（含）；默认今天")] = None
    tax_office: Annotated[
        str | None, Query(max_length=16, description="税务机关代码（管理员可选；默认全部）")
    ] = None


AskedFor = Annotated[Asked, Depends()]


def _query(step: Step, staff: Staff, asked: Asked) -> tuple[Dashboards, FigureQuery]:
    dashboards = Dashboards(step.session, staff)
    today = to_shanghai(step.now).date()
    return dashboards, dashboards.query(
        start=asked.start, end=asked.end, tax_office=asked.tax_office, today=today
    )


def _figure(query: FigureQuery) -> dict[str, Any]:
    scope = query.scope
    return {
        "start": query.span.start,
        "end": query.span.end,
        "tax_office": scope.office,
        "tax_office_name": scope.office_name,
    }


@router.get(
    "/collections",
    response_model=schemas.Collections,
    responses=ERRORS,
    summary="每日缴款（按险种、区、缴费渠道或支付方式）",
)
def collections(staff: AnyStaff, work: Work, by: By, asked: AskedFor) -> schemas.Collections:
    with work.step(write=False) as step:
        dashboards, query = _query(step, staff, asked)
        items = [schemas.DailyCollection(**vars(row)) for row in dashboards.collections(by, query)]
        return schemas.Collections(**_figure(query), by=by, items=items)


@router.get(
    "/payments-by-status", response_model=schemas.PaymentsByStatus, responses=ERRORS, summary="缴款按状态"
)
def payments_by_status(staff: AnyStaff, work: Work, asked: AskedFor) -> schemas.PaymentsByStatus:
    with work.step(write=False) as step:
        dashboards, query = _query(step, staff, asked)
        items = [schemas.StatusTally(**vars(row)) for row in dashboards.payments_by_status(query)]
        return schemas.PaymentsByStatus(**_figure(query), items=items)


@router.get(
    "/batch-outcomes", response_model=schemas.BatchOutcomes, responses=ERRORS, summary="批扣结果按状态与原因"
)
def batch_outcomes(staff: AnyStaff, work: Work, asked: AskedFor) -> schemas.BatchOutcomes:
    with work.step(write=False) as step:
        dashboards, query = _query(step, staff, asked)
        items = [schemas.BatchOutcome(**vars(row)) for row in dashboards.batch_outcomes(query)]
        return schemas.BatchOutcomes(**_figure(query), items=items)


@router.get(
    "/collections.csv",
    response_class=Response,
    responses=CSV,
    summary="每日缴款 CSV（列：day,key,label,count,amount_fen）",
)
def collections_csv(staff: AnyStaff, work: Work, by: By, asked: AskedFor) -> Response:
    figure = collections(staff, work, by, asked)
    return csv_response(f"collections-{by.value}", figure, figure.items, schemas.DailyCollection)


@router.get(
    "/payments-by-status.csv",
    response_class=Response,
    responses=CSV,
    summary="缴款按状态 CSV（列：status,label,count,amount_fen）",
)
def payments_by_status_csv(staff: AnyStaff, work: Work, asked: AskedFor) -> Response:
    figure = payments_by_status(staff, work, asked)
    return csv_response("payments-by-status", figure, figure.items, schemas.StatusTally)


@router.get(
    "/batch-outcomes.csv",
    response_class=Response,
    responses=CSV,
    summary="批扣结果 CSV（列：status,label,reason,count,amount_fen）",
)
def batch_outcomes_csv(staff: AnyStaff, work: Work, asked: AskedFor) -> Response:
    figure = batch_outcomes(staff, work, asked)
    return csv_response("batch-outcomes", figure, figure.items, schemas.BatchOutcome)


def include(app: FastAPI) -> None:
    app.include_router(router)
