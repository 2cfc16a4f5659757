"""导入 in the console: the import runs of enrolments (参保数据) and of payments made elsewhere (其他渠道缴款)
with their reports, and a CSV file uploaded and imported the way `shebao import enrolments|payments`
imports it (the same checks of the whole file first, the same chunks, the same run record).

Scope: an import is of a file, not of a tax office (its rows may be of any office): every staff member
sees the runs; an operator or above uploads. The upload is imported in the request, as the command runs
it, within the console's body limit (app.py); the file is deleted once imported (it holds personal data).
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from pathlib import Path, PurePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from shebao.console.deps import AnyStaff, OperatorStaff
from shebao.console.staff import Role, Staff
from shebao.db import UnitOfWork
from shebao.deps import DbSession, RuntimeDep, request_work
from shebao.errors import NotFound, ShebaoError, ValidationFailed
from shebao.imports.models import ENROLMENTS, KIND_LABELS, KINDS, PAYMENTS, ROW_LABELS, ImportRun
from shebao.imports.service import ImportRunRepository, run_recorded
from shebao.kit.pagination import Paged, PageParams, PageRequest
from shebao.runtime import Runtime
from shebao.web.openapi import errors
from shebao.web.security import csrf_protect
from shebao.web.templating import render

api = APIRouter(prefix="/api/v1/console/imports", tags=["console: imports"])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
PAGE = "/console/imports"
RUNS_SHOWN = 50
Kind = Literal["enrolments", "payments"]
ImportID = Annotated[uuid.UUID, Path(description="导入记录编号（导入记录的 id）")]


class ImportNotFound(NotFound):
    code = "import_run_not_found"
    message = "未找到该导入记录"


class RowCount(BaseModel):
    status: str = Field(description="imported | updated | applied | duplicate | unchanged | rejected")
    label: str
    rows: int


class Rejection(BaseModel):
    line: int = Field(description="文件中的行号（表头为第1行）")
    reason: str


class Run(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="enrolments 参保数据 | payments 其他渠道缴款")
    kind_label: str
    file_name: str
    operator: str | None = Field(description="导入人：控制台用户名，或命令行的 cli:系统用户")
    channel: str | None = Field(description="console | cli")
    started_at: datetime
    finished_at: datetime
    rows: int = Field(description="读取的数据行数")
    rejected: int
    counts: list[RowCount]


class RunList(Paged):
    items: list[Run]


class RunDetail(Run):
    rejections: list[Rejection] = Field(description="被拒绝的行及原因（最多前1000行）")


def _run_out(run: ImportRun) -> Run:
    return Run(
        id=run.id,
        kind=run.kind,
        kind_label=run.kind_label,
        file_name=run.file_name,
        operator=run.actor_id,
        channel=run.channel,
        started_at=run.started_at,
        finished_at=run.finished_at,
        rows=run.rows,
        rejected=run.rejected,
        counts=[RowCount(status=s, label=ROW_LABELS.get(s, s), rows=int(n)) for s, n in run.counts.items()],
    )


def _detail_out(run: ImportRun) -> RunDetail:
    rejections = [Rejection(line=int(line), reason=str(reason)) for line, reason in run.rejections]
    return RunDetail(**_run_out(run).model_dump(), rejections=rejections)


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"file": message})


def import_upload(runtime: Runtime, staff: Staff, kind: str, upload: UploadFile) -> uuid.UUID:
    """Keep the upload in the data directory for the import, import it, delete it; answers the run."""
    if kind not in KINDS:
        raise ValidationFailed("请选择导入类型", fields={"kind": "请选择导入类型"})
    name = PurePath(upload.filename or "").name[:200]
    if not name:
        raise _file_error("请选择要导入的 CSV 文件")
    folder = Path(runtime.settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    try:
        with path.open("wb") as handle:
            shutil.copyfileobj(upload.file, handle)
        return _import(runtime, staff, kind, name, path)
    finally:
        path.unlink(missing_ok=True)


def _import(runtime: Runtime, staff: Staff, kind: str, name: str, path: Path) -> uuid.UUID:
    if kind == ENROLMENTS:
        from shebao.agency.importer import FileUnreadable, import_csv, scan

        try:
            layout = scan(path)
        except FileUnreadable as exc:
            raise _file_error(f"无法读取文件：{exc.message}") from exc
        _, run_id = run_recorded(
            runtime,
            kind=ENROLMENTS,
            file_name=name,
            actor=staff.actor,
            run=lambda: import_csv(runtime, path, actor=staff.actor, layout=layout),
        )
        return run_id
    from shebao.elsewhere.feed import FeedUnreadable, read_csv, run_feed

    try:
        rows = read_csv(path)
    except FeedUnreadable as exc:
        raise _file_error(f"无法读取文件：{exc.message}") from exc
    _, run_id = run_recorded(
        runtime, kind=PAYMENTS, file_name=name, actor=staff.actor, run=lambda: run_feed(runtime, rows)
    )
    return run_id


def _get(work: UnitOfWork, run_id: uuid.UUID) -> RunDetail:
    with work.read() as session:
        run = ImportRunRepository(session).run(run_id)
        if run is None:
            raise ImportNotFound()
        return _detail_out(run)


# --- the JSON API ---------------------------------------------------------------------------------------


@api.get("", response_model=RunList, summary="导入记录（参保数据、其他渠道缴款），最新在前")
def runs_api(session: DbSession, staff: AnyStaff, page: PageParams, kind: Kind | None = None) -> RunList:
    runs, cursor = ImportRunRepository(session).runs(page, kind=kind)
    return RunList(items=[_run_out(r) for r in runs], next_cursor=cursor)


@api.get(
    "/{import_id}",
    response_model=RunDetail,
    summary="一次导入的报告：各结果行数与被拒绝的行",
    responses=errors(404),
)
def run_api(session: DbSession, staff: AnyStaff, import_id: ImportID) -> RunDetail:
    run = ImportRunRepository(session).run(import_id)
    if run is None:
        raise ImportNotFound()
    return _detail_out(run)


@api.post(
    "",
    response_model=RunDetail,
    status_code=201,
    summary="上传 CSV 文件并导入（经办员及以上），与命令行 shebao import 相同的检查与规则",
    description=(
        "kind=enrolments 为参保数据，payments 为其他渠道缴款。"
        "文件无法读取（编码、表头）为 422，不写入任何数据。"
    ),
    responses=errors(s413="文件过大"),
)
def upload_api(
    request: Request,
    runtime: RuntimeDep,
    staff: OperatorStaff,
    kind: Annotated[Kind, Form(description="enrolments | payments")],
    file: Annotated[UploadFile, File(description="UTF-8 CSV 文件，第1行为表头")],
) -> RunDetail:
    return _get(request_work(request), import_upload(runtime, staff, kind, file))


# --- the pages ------------------------------------------------------------------------------------------


def _list_page(
    request: Request,
    runtime: Runtime,
    staff: Staff,
    *,
    kind: str = "",
    values: dict[str, str] | None = None,
    error: ShebaoError | None = None,
) -> HTMLResponse:
    kind = kind if kind in KINDS else ""
    with request_work(request).read() as session:
        runs, _ = ImportRunRepository(session).runs(PageRequest(limit=RUNS_SHOWN), kind=kind or None)
        items = [_run_out(r) for r in runs]
    context = {
        "title": "导入",
        "runs": items,
        "kind": kind,
        "kinds": list(KIND_LABELS.items()),
        "values": values or {"kind": ENROLMENTS},
        "error": error,
        "may_act": staff.at_least(Role.OPERATOR),
    }
    return render(request, "console/imports.html", context, status_code=error.status_code if error else 200)


@pages.get(PAGE, response_class=HTMLResponse)
def imports_page(request: Request, runtime: RuntimeDep, staff: AnyStaff, kind: str = "") -> HTMLResponse:
    return _list_page(request, runtime, staff, kind=kind)


@pages.post(PAGE, response_class=HTMLResponse)
def upload_form(
    request: Request,
    runtime: RuntimeDep,
    staff: OperatorStaff,
    kind: Annotated[str, Form(max_length=16)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        if file is None:
            raise _file_error("请选择要导入的 CSV 文件")
        run_id = import_upload(runtime, staff, kind, file)
    except ShebaoError as error:
        return _list_page(request, runtime, staff, values={"kind": kind}, error=error)
    return RedirectResponse(f"{PAGE}/{run_id}?uploaded=1", status_code=303)


@pages.get(PAGE + "/{import_id}", response_class=HTMLResponse)
def run_page(request: Request, runtime: RuntimeDep, staff: AnyStaff, import_id: ImportID) -> HTMLResponse:
    run = _get(request_work(request), import_id)
    context = {
        "title": f"{run.kind_label}：{run.file_name}",
        "run": run,
        "uploaded": request.query_params.get("uploaded") == "1",
    }
    return render(request, "console/import.html", context)


def include(app: FastAPI) -> None:
    app.include_router(api)
    app.include_router(pages)
