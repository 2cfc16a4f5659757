"""对账 in the console: the statements processed (runs) and their differences, resolved with a reason;
a day's statement of a channel reconciled on demand.

Reconciliation is by channel, not by tax office: a statement and its differences (trade numbers and
amounts, no personal data) belong to every office, so every staff member sees them, and an operator or
above resolves a difference or starts a reconciliation (decision 0017).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from shebao.console.deps import AnyStaff, OperatorStaff
from shebao.console.staff import Role, Staff
from shebao.deps import DbSession, RuntimeDep, WriteSession, request_work
from shebao.errors import ShebaoError, ValidationFailed
from shebao.kit.pagination import Paged, PageParams, PageRequest
from shebao.payments.models import METHOD_LABELS
from shebao.reconciliation.models import ReconciliationIssue, StatementRun
from shebao.reconciliation.repository import ReconciliationRepository
from shebao.reconciliation.resolve import IssueNotFound, resolve
from shebao.reconciliation.service import (
    KIND_LABELS,
    STATEMENT_CHANNELS,
    ReconcileRefused,
    RunSummary,
    reconcile,
)
from shebao.web.openapi import errors
from shebao.web.security import csrf_protect
from shebao.web.templating import render

api = APIRouter(prefix="/api/v1/console/reconciliation", tags=["console: reconciliation"])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = "/console/reconciliation"
RUNS_SHOWN, ISSUES_SHOWN = 30, 200  # the page shows the latest; the API pages through all

IssueID = Annotated[uuid.UUID, Path(description="对账差异编号（对账差异的 id）")]
Channel = Literal["alipay", "wechat", "unionpay"]
IssueStatus = Literal["open", "resolved"]


class Run(BaseModel):
    id: uuid.UUID
    channel: str
    channel_label: str
    bill_date: date
    lines: int = Field(description="对账单笔数（重复行计一次）")
    matched: int
    settled: int = Field(description="补记缴款成功笔数（通知丢失、对账单为证）")
    issues: int
    ran_at: datetime


class RunList(Paged):
    items: list[Run]


class Issue(BaseModel):
    id: uuid.UUID
    channel: str
    channel_label: str
    bill_date: date
    kind: str = Field(description="unknown_payment | amount_mismatch | missing_in_statement")
    kind_label: str
    out_trade_no: str
    provider_trade_no: str | None
    statement_amount_fen: int | None
    our_amount_fen: int | None
    status: str = Field(description="open 待核对 | resolved 已处理")
    status_label: str
    found_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


class IssueList(Paged):
    items: list[Issue]


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="处理说明")


class ReconcileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    bill_date: date = Field(alias="date", description="已结束的日期 YYYY-MM-DD（北京时间）")
    channel: Channel


class Reconciled(BaseModel):
    channel: str
    bill_date: date
    already_processed: bool = Field(description="该对账单已处理过：未作任何变更")
    lines: int
    matched: int
    settled: int
    issues: int
    message: str


def run_out(run: StatementRun) -> Run:
    return Run(
        id=run.id,
        channel=run.channel,
        channel_label=METHOD_LABELS.get(run.channel, run.channel),
        bill_date=run.bill_date,
        lines=run.lines,
        matched=run.matched,
        settled=run.settled,
        issues=run.issues,
        ran_at=run.ran_at,
    )


def issue_out(issue: ReconciliationIssue) -> Issue:
    return Issue(
        id=issue.id,
        channel=issue.channel,
        channel_label=METHOD_LABELS.get(issue.channel, issue.channel),
        bill_date=issue.bill_date,
        kind=issue.kind,
        kind_label=KIND_LABELS.get(issue.kind, issue.kind),
        out_trade_no=issue.out_trade_no,
        provider_trade_no=issue.provider_trade_no,
        statement_amount_fen=issue.statement_amount_fen,
        our_amount_fen=issue.our_amount_fen,
        status=issue.status,
        status_label=issue.status_label,
        found_at=issue.found_at,
        resolved_at=issue.resolved_at,
        resolved_by=issue.resolved_by,
        resolution=issue.resolution,
    )


def summary_out(summary: RunSummary) -> Reconciled:
    return Reconciled(
        channel=summary.channel,
        bill_date=summary.bill_date,
        already_processed=summary.already_processed,
        lines=summary.lines,
        matched=summary.matched,
        settled=summary.settled,
        issues=len(summary.findings),
        message=summary.render(),
    )


# --- the JSON API ---------------------------------------------------------------------------------------


@api.get("/runs", response_model=RunList, summary="对账记录（已处理的对账单），最新在前")
def list_runs(
    session: DbSession,
    staff: AnyStaff,
    page: PageParams,
    channel: Channel | None = None,
    bill_date: Annotated[date | None, Query(alias="date", description="对账日期")] = None,
) -> RunList:
    runs, cursor = ReconciliationRepository(session).runs(page, channel=channel, day=bill_date)
    return RunList(items=[run_out(r) for r in runs], next_cursor=cursor)


@api.get("/issues", response_model=IssueList, summary="对账差异：status=open 待核对，resolved 已处理")
def list_issues(
    session: DbSession,
    staff: AnyStaff,
    page: PageParams,
    status: IssueStatus | None = None,
    channel: Channel | None = None,
    bill_date: Annotated[date | None, Query(alias="date", description="对账日期")] = None,
) -> IssueList:
    found, cursor = ReconciliationRepository(session).issues(
        page, status=status, channel=channel, day=bill_date
    )
    return IssueList(items=[issue_out(i) for i in found], next_cursor=cursor)


@api.get("/issues/{issue_id}", response_model=Issue, summary="一条对账差异", responses=errors(404))
def get_issue(session: DbSession, staff: AnyStaff, issue_id: IssueID) -> Issue:
    issue = ReconciliationRepository(session).issue(issue_id)
    if issue is None:
        raise IssueNotFound()
    return issue_out(issue)


@api.post(
    "/issues/{issue_id}/resolve",
    response_model=Issue,
    summary="处理对账差异（经办员及以上；须填写处理说明；已处理的不能再处理）",
    responses=errors(404, s409="该对账差异已处理"),
)
def resolve_issue(
    session: WriteSession, runtime: RuntimeDep, staff: OperatorStaff, issue_id: IssueID, body: Resolution
) -> Issue:
    issue = resolve(session, issue_id, body.reason, actor=staff.actor, now=runtime.clock.now())
    return issue_out(issue)


@api.post(
    "/runs",
    response_model=Reconciled,
    summary="对一个渠道一个已结束的日期对账（经办员及以上）：下载对账单、补记、记录差异",
    description="同一份对账单只处理一次（already_processed）；对账单下载失败或日期未结束为 422。",
)
def start_run(runtime: RuntimeDep, staff: OperatorStaff, body: ReconcileRequest) -> Reconciled:
    return summary_out(reconcile(runtime, body.channel, body.bill_date))


# --- the pages ------------------------------------------------------------------------------------------

STATUS_CHOICES = [("open", "待核对"), ("resolved", "已处理"), ("all", "全部")]
Text = Annotated[str, Form(max_length=600)]


def _page(
    request: Request,
    runtime: RuntimeDep,
    staff: Staff,
    *,
    status: str = "open",
    channel: str = "",
    values: dict[str, str] | None = None,
    error: ShebaoError | None = None,
    failed_issue: uuid.UUID | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    status = status if status in ("open", "resolved", "all") else "open"
    channel = channel if channel in STATEMENT_CHANNELS else ""
    with request_work(request).read() as session:
        repository = ReconciliationRepository(session)
        runs, _ = repository.runs(PageRequest(limit=RUNS_SHOWN), channel=channel or None)
        issues, _ = repository.issues(
            PageRequest(limit=ISSUES_SHOWN),
            status=None if status == "all" else status,
            channel=channel or None,
        )
        run_items, issue_items = [run_out(r) for r in runs], [issue_out(i) for i in issues]
    yesterday = runtime.clock.today() - timedelta(days=1)
    context = {
        "title": "对账",
        "runs": run_items,
        "issues": issue_items,
        "status": status,
        "channel": channel,
        "statuses": STATUS_CHOICES,
        "channels": [(c, METHOD_LABELS[c]) for c in STATEMENT_CHANNELS],
        "values": values or {"date": yesterday.isoformat(), "channel": "alipay"},
        "error": error if failed_issue is None else None,
        "issue_error": error if failed_issue is not None else None,
        "failed_issue": failed_issue,
        "notice": notice,
        "may_act": staff.at_least(Role.OPERATOR),
    }
    code = error.status_code if error else 200
    return render(request, "console/reconciliation.html", context, status_code=code)


@pages.get(PAGE, response_class=HTMLResponse)
def reconciliation_page(
    request: Request, runtime: RuntimeDep, staff: AnyStaff, status: str = "open", channel: str = ""
) -> HTMLResponse:
    notice = "已处理该对账差异" if request.query_params.get("done") == "resolved" else None
    return _page(request, runtime, staff, status=status, channel=channel, notice=notice)


@pages.post(PAGE + "/issues/{issue_id}/resolve", response_class=HTMLResponse)
def resolve_form(
    request: Request,
    runtime: RuntimeDep,
    staff: OperatorStaff,
    issue_id: IssueID,
    reason: Text = "",
    status: Annotated[str, Form(max_length=16)] = "open",
    channel: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        with request_work(request).step() as step:
            resolve(step.session, issue_id, reason, actor=staff.actor, now=step.now)
    except ShebaoError as error:
        return _page(
            request, runtime, staff, status=status, channel=channel, error=error, failed_issue=issue_id
        )
    query = urlencode({"status": status, "channel": channel, "done": "resolved"})
    return RedirectResponse(f"{PAGE}?{query}", status_code=303)


@pages.post(PAGE + "/runs", response_class=HTMLResponse)
def reconcile_form(
    request: Request,
    runtime: RuntimeDep,
    staff: OperatorStaff,
    bill_date: Annotated[str, Form(alias="date", max_length=20)] = "",
    channel: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    values = {"date": bill_date, "channel": channel}
    try:
        day = parse_day(bill_date)
        if channel not in STATEMENT_CHANNELS:
            raise ValidationFailed("请选择对账渠道", fields={"channel": "请选择对账渠道"})
        summary = reconcile(runtime, channel, day)
    except ReconcileRefused as refused:  # the service's reason concerns the date or the channel
        field = "date" if "日期" in refused.detail else "channel"
        error = ValidationFailed(refused.detail, fields={field: refused.detail})
        return _page(request, runtime, staff, values=values, error=error)
    except ShebaoError as error:
        return _page(request, runtime, staff, values=values, error=error)
    return _page(request, runtime, staff, channel="", values=values, notice=summary.render())


def parse_day(text: str) -> date:
    """A date typed in a form: YYYY-MM-DD, said beside the field when it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        message = "日期格式应为 YYYY-MM-DD，如 2025-11-20"
        raise ValidationFailed(message, fields={"date": message}) from exc


def include(app: FastAPI) -> None:
    app.include_router(api)
    app.include_router(pages)
