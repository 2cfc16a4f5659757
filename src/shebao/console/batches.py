"""批扣 in the console: batch deduction runs with their progress (refreshing while a run goes on), the run's
report (the command's CSV figures) and its batch files; a run for a date started on the worker.

Scope: a run deducts for every office, so the runs are listed for all staff, but the figures (progress,
report) of an office's staff count only the items of their office's contribution settings. A batch file
is one bank's for every office: only staff of all offices see the files. Starting: operator and above;
the run goes to the worker (`deductions.run_date`), never in the request; while a run holds the run lock
a second start is refused (409), and one that slips in between still waits for the lock as the command
does, then finds nothing left to do (decision 0017).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from shebao.audit.service import record
from shebao.console.deps import AnyStaff, OperatorStaff
from shebao.console.staff import Role, Staff
from shebao.db import UnitOfWork
from shebao.deductions.lock import lock_held
from shebao.deductions.models import DeductionBatch, DeductionRun
from shebao.deductions.run import REPORT_HEADER, Line, report_lines, report_rows
from shebao.deductions.watch import RUN_LABELS, Progress, RunRepository
from shebao.deps import DbSession, RuntimeDep, request_work
from shebao.errors import Conflict, NotFound, ShebaoError, ValidationFailed
from shebao.kit.pagination import Paged, PageParams, PageRequest
from shebao.reference.catalog import load_catalog
from shebao.runtime import Runtime
from shebao.web.openapi import errors
from shebao.web.security import csrf_protect
from shebao.web.templating import render

api = APIRouter(prefix="/api/v1/console/batches", tags=["console: batches"])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = "/console/batches"
RUNS_SHOWN = 50
RunID = Annotated[uuid.UUID, Path(description="批扣记录编号（批扣记录的 id）")]
BATCH_LABELS = {"planning": "生成中", "prepared": "已生成", "sent": "已发送银行", "answered": "已全部回盘"}


class RunNotFound(NotFound):
    code = "deduction_run_not_found"
    message = "未找到该批扣记录"


class RunBusy(Conflict):
    code = "deduction_run_busy"
    message = "批量扣款正在进行，请待其结束后再发起"


class Tally(BaseModel):
    status: str = Field(description="planned | sent | succeeded | failed | cancelled")
    label: str
    count: int
    amount_fen: int


class Run(BaseModel):
    id: uuid.UUID
    run_date: date
    status: str = Field(description="running 进行中 | completed 已完成")
    status_label: str
    started_at: datetime
    finished_at: datetime | None
    total: int = Field(description="本次计划的扣款笔数（本税务所的）")
    done: int = Field(description="已有结果的笔数：成功、失败、已取消")
    by_outcome: list[Tally]


class RunList(Paged):
    items: list[Run]


class ReportLine(BaseModel):
    outcome: str
    outcome_label: str
    reason: str
    bank_code: str
    bank: str
    count: int
    amount_fen: int


class BatchFile(BaseModel):
    batch_no: str
    bank_code: str
    bank: str
    status: str
    status_label: str
    item_count: int
    total_fen: int
    file_name: str | None
    parts_applied: int = Field(description="已入账的回盘文件数")
    refusal: str | None
    sent_at: datetime | None
    answered_at: datetime | None


class RunDetail(Run):
    report: list[ReportLine] = Field(description="扣款日期的全部扣款按结果、原因、银行汇总（同命令行报告）")
    files: list[BatchFile] | None = Field(description="批量扣款文件；仅全部税务所的管理员可见，否则为 null")


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    run_date: date = Field(alias="date", description="扣款日期 YYYY-MM-DD（北京时间），不晚于今天")


class Started(BaseModel):
    run_date: date
    status: str = Field(description="queued：已交由后台执行")
    message: str


def _run_out(run: DeductionRun, progress: Progress) -> Run:
    return Run(
        id=run.id,
        run_date=run.run_date,
        status=run.status,
        status_label=RUN_LABELS.get(run.status, run.status),
        started_at=run.started_at,
        finished_at=run.finished_at,
        total=progress.total,
        done=progress.done,
        by_outcome=[
            Tally(status=t.status, label=t.label, count=t.count, amount_fen=t.amount_fen)
            for t in progress.tallies
        ],
    )


def _lines_out(lines: list[Line]) -> list[ReportLine]:
    catalog = load_catalog()
    out = []
    for line in lines:
        bank = catalog.bank(line.bank_code)
        out.append(
            ReportLine(
                outcome=line.status,
                outcome_label=line.label,
                reason=line.reason,
                bank_code=line.bank_code,
                bank=bank.name if bank else line.bank_code,
                count=line.count,
                amount_fen=line.amount_fen,
            )
        )
    return out


def _file_out(batch: DeductionBatch) -> BatchFile:
    bank = load_catalog().bank(batch.bank_code)
    return BatchFile(
        batch_no=batch.batch_no,
        bank_code=batch.bank_code,
        bank=bank.name if bank else batch.bank_code,
        status=batch.status,
        status_label=BATCH_LABELS.get(batch.status, batch.status),
        item_count=batch.item_count,
        total_fen=batch.total_fen,
        file_name=batch.file_name,
        parts_applied=batch.parts_applied,
        refusal=batch.refusal,
        sent_at=batch.sent_at,
        answered_at=batch.answered_at,
    )


def list_runs(session: Session, staff: Staff, page: PageRequest, day: date | None = None) -> RunList:
    repository = RunRepository(session)
    runs, cursor = repository.runs(page, day=day)
    progress = repository.progress([r.id for r in runs], tax_office_code=staff.tax_office_code)
    return RunList(items=[_run_out(r, progress[r.id]) for r in runs], next_cursor=cursor)


def run_detail(session: Session, staff: Staff, run_id: uuid.UUID) -> RunDetail:
    repository = RunRepository(session)
    run = repository.run(run_id)
    if run is None:
        raise RunNotFound()
    progress = repository.progress([run.id], tax_office_code=staff.tax_office_code)[run.id]
    lines = report_lines(session, run.run_date, tax_office_code=staff.tax_office_code)
    files = [_file_out(b) for b in repository.batches(run.id)] if staff.tax_office_code is None else None
    return RunDetail(**_run_out(run, progress).model_dump(), report=_lines_out(lines), files=files)


def report_csv(session: Session, staff: Staff, run_id: uuid.UUID) -> Response:
    run = RunRepository(session).run(run_id)
    if run is None:
        raise RunNotFound()
    lines = report_lines(session, run.run_date, tax_office_code=staff.tax_office_code)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_HEADER)
    writer.writerows(report_rows(run.run_date, lines))
    name = f"deductions-{run.run_date.isoformat()}-{run.id.hex[:12]}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),  # a BOM, as the command's report: Excel reads it as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def check_run_date(runtime: Runtime, text: str | date) -> date:
    try:
        day = text if isinstance(text, date) else date.fromisoformat(text.strip())
    except ValueError as exc:
        message = "扣款日期格式应为 YYYY-MM-DD，如 2025-11-20"
        raise ValidationFailed(message, fields={"date": message}) from exc
    if day > runtime.clock.today():
        message = "扣款日期不能晚于今天（北京时间）"
        raise ValidationFailed(message, fields={"date": message})
    return day


def start(runtime: Runtime, work: UnitOfWork, staff: Staff, day: date) -> Started:
    """Refuse while a run holds the lock; else record who asked, then hand the run to the worker."""
    from shebao.deductions.tasks import deductions_run_date

    if lock_held(runtime):
        raise RunBusy()
    with work.step() as step:
        record(
            step.session,
            actor=staff.actor,
            action="deduction_run.requested",
            object_type="deduction_run_date",
            object_id=day.isoformat(),
            at=step.now,
            after={"run_date": day.isoformat()},
        )
    deductions_run_date(day.isoformat())  # enqueued after the commit above
    return Started(run_date=day, status="queued", message=f"已发起 {day} 的批量扣款，正在后台执行")


# --- the JSON API ---------------------------------------------------------------------------------------


@api.get("", response_model=RunList, summary="批扣记录与进度（本税务所的扣款笔数；全部税务所的管理员为全部）")
def runs_api(
    session: DbSession,
    staff: AnyStaff,
    page: PageParams,
    run_date: Annotated[date | None, Query(alias="date", description="扣款日期")] = None,
) -> RunList:
    return list_runs(session, staff, page, run_date)


@api.get(
    "/{run_id}", response_model=RunDetail, summary="一次批扣：进度、报告与批量扣款文件", responses=errors(404)
)
def run_api(session: DbSession, staff: AnyStaff, run_id: RunID) -> RunDetail:
    return run_detail(session, staff, run_id)


@api.get(
    "/{run_id}/report.csv",
    summary="批扣报告 CSV（与 shebao deductions run 的报告相同的列）",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV"}, **errors(404)},
)
def report_api(session: DbSession, staff: AnyStaff, run_id: RunID) -> Response:
    return report_csv(session, staff, run_id)


@api.post(
    "",
    response_model=Started,
    status_code=202,
    summary="发起一个日期的批量扣款（经办员及以上），由后台执行",
    description="批扣正在进行（持有批扣锁）时为 409；同一日期重复发起不会重复扣款。",
    responses=errors(s409="批量扣款正在进行"),
)
def start_api(request: Request, runtime: RuntimeDep, staff: OperatorStaff, body: StartRequest) -> Started:
    return start(runtime, request_work(request), staff, check_run_date(runtime, body.run_date))


# --- the pages ------------------------------------------------------------------------------------------


def _list_page(
    request: Request,
    runtime: Runtime,
    staff: Staff,
    *,
    values: dict[str, str] | None = None,
    error: ShebaoError | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    with request_work(request).read() as session:
        runs = list_runs(session, staff, PageRequest(limit=RUNS_SHOWN)).items
    context = {
        "title": "批扣",
        "runs": runs,
        "running": any(r.status == "running" for r in runs),
        "values": values or {"date": runtime.clock.today().isoformat()},
        "error": error,
        "notice": notice,
        "may_act": staff.at_least(Role.OPERATOR),
        "office_only": staff.tax_office_code is not None,
    }
    return render(request, "console/batches.html", context, status_code=error.status_code if error else 200)


@pages.get(PAGE, response_class=HTMLResponse)
def batches_page(request: Request, runtime: RuntimeDep, staff: AnyStaff) -> HTMLResponse:
    started = request.query_params.get("started", "")
    notice = f"已发起 {started} 的批量扣款，正在后台执行" if started else None
    return _list_page(request, runtime, staff, notice=notice)


@pages.post(PAGE, response_class=HTMLResponse)
def start_form(
    request: Request,
    runtime: RuntimeDep,
    staff: OperatorStaff,
    run_date: Annotated[str, Form(alias="date", max_length=20)] = "",
) -> Response:
    try:
        day = check_run_date(runtime, run_date)
        start(runtime, request_work(request), staff, day)
    except ShebaoError as error:
        return _list_page(request, runtime, staff, values={"date": run_date}, error=error)
    return RedirectResponse(f"{PAGE}?started={day.isoformat()}", status_code=303)


@pages.get(PAGE + "/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, runtime: RuntimeDep, staff: AnyStaff, run_id: RunID) -> HTMLResponse:
    with request_work(request).read() as session:
        detail = run_detail(session, staff, run_id)
    totals = {
        status: (
            sum(x.count for x in detail.report if x.outcome == status),
            sum(x.amount_fen for x in detail.report if x.outcome == status),
        )
        for status in ("succeeded", "failed", "sent")
    }
    context = {
        "title": f"批扣 {detail.run_date}",
        "run": detail,
        "totals": totals,
        "office_only": staff.tax_office_code is not None,
    }
    return render(request, "console/batch.html", context)


def include(app: FastAPI) -> None:
    app.include_router(api)
    app.include_router(pages)
