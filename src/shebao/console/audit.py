"""审计日志: `GET /api/v1/console/audit`, its page /console/audit (filters, table, next page) and its CSV
export /console/audit.csv. Rows of the operator's tax office only, unless an admin of all offices
(console/auditlog.py says how a row maps to an office)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from shebao.audit.labels import (
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    action_label,
    actor_type_label,
    object_type_label,
)
from shebao.console.auditlog import AuditFilter, search
from shebao.console.deps import AnyStaff
from shebao.console.lookup import id_number_of
from shebao.console.payer_schemas import AuditRow, audit_row
from shebao.deps import DbSession
from shebao.errors import ShebaoError, ValidationFailed
from shebao.kit.clock import format_local
from shebao.kit.pagination import MAX_LIMIT, Paged, PageParams, PageRequest, paging
from shebao.web.security import csrf_protect
from shebao.web.templating import render

api = APIRouter(prefix="/api/v1/console", tags=["console"])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

# A CSV export holds at most this many rows (the newest); narrow the filters for older ones.
EXPORT_ROWS = 10_000
PAGE_ROWS = 50


class AuditList(Paged):
    items: list[AuditRow]


def audit_filter(
    operator: Annotated[str | None, Query(max_length=64, description="操作人（操作员用户名）")] = None,
    id_number: Annotated[
        str | None, Query(max_length=64, description="缴费人证件号码（经盲索引查找）")
    ] = None,
    person_id: Annotated[uuid.UUID | None, Query(description="缴费人编号（缴费人查询答复的 id）")] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="操作：代码（如 console.payer_reveal）或中文名（如 查看明文）"),
    ] = None,
    object_type: Annotated[
        str | None, Query(max_length=32, description="对象类型：代码（如 payment）或中文名（如 缴款）")
    ] = None,
    since: Annotated[date | None, Query(alias="from", description="起始日期 YYYY-MM-DD（含）")] = None,
    until: Annotated[date | None, Query(alias="to", description="截止日期 YYYY-MM-DD（含）")] = None,
) -> AuditFilter:
    if since and until and since > until:
        raise ValidationFailed("起始日期不能晚于截止日期", fields={"from": "起始日期不能晚于截止日期"})
    return AuditFilter(
        operator=operator.strip() or None if operator else None,
        id_number=id_number_of(id_number) if id_number and id_number.strip() else None,
        person_id=person_id,
        action=_code(action, ACTION_LABELS),
        object_type=_code(object_type, OBJECT_TYPE_LABELS),
        since=since,
        until=until,
    )


Filters = Annotated[AuditFilter, Depends(audit_filter)]


@api.get(
    "/audit",
    response_model=AuditList,
    summary="审计日志查询：按操作人、缴费人（证件号码经盲索引）、操作、对象类型、日期筛选，最新在前",
)
def audit_api(staff: AnyStaff, session: DbSession, wanted: Filters, page: PageParams) -> AuditList:
    rows, next_cursor = search(session, staff, wanted, page)
    return AuditList(items=[audit_row(r) for r in rows], next_cursor=next_cursor)


@pages.get("/console/audit", response_class=HTMLResponse)
def audit_page(request: Request, staff: AnyStaff, session: DbSession) -> HTMLResponse:
    values = {key: request.query_params.get(key, "") for key in _FIELDS}
    error: ShebaoError | None = None
    rows: list[AuditRow] = []
    next_cursor = None
    try:
        wanted = _page_filter(values)
        page = PageRequest(limit=PAGE_ROWS, after=_after(request.query_params.get("cursor")))
        found, next_cursor = search(session, staff, wanted, page)
        rows = [audit_row(r) for r in found]
    except ShebaoError as refused:
        error = refused
    context = {
        "title": "审计日志",
        "values": values,
        "actions": ACTION_LABELS,
        "object_types": OBJECT_TYPE_LABELS,
        "rows": rows,
        "next_cursor": next_cursor,
        "error": error,
        "query": urlencode([(k, v) for k, v in request.query_params.items() if k != "cursor" and v]),
    }
    return render(request, "console/audit.html", context, status_code=error.status_code if error else 200)


@pages.get("/console/audit.csv")
def audit_csv(request: Request, staff: AnyStaff, session: DbSession) -> Response:
    values = {key: request.query_params.get(key, "") for key in _FIELDS}
    rows, _ = search(session, staff, _page_filter(values), PageRequest(limit=EXPORT_ROWS))
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 with its mark
    writer = csv.writer(out)
    writer.writerow(
        ["时间", "操作人类型", "操作人", "渠道", "操作", "操作代码", "对象类型", "对象类型代码", "对象编号"]
        + ["变更前", "变更后"]
    )
    for r in rows:
        writer.writerow(
            _cell(cell)
            for cell in [
                format_local(r.occurred_at),
                actor_type_label(r.actor_type),
                r.actor_id or "",
                r.channel or "",
                action_label(r.action),
                r.action,
                object_type_label(r.object_type),
                r.object_type,
                r.object_id,
                _json(r.before),
                _json(r.after),
            ]
        )
    headers = {"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


_FIELDS = ("operator", "id_number", "person_id", "action", "object_type", "from", "to")


def _page_filter(values: dict[str, str]) -> AuditFilter:
    """The page's query parameters as the API's filter (each refusal a 422 naming its field)."""
    return audit_filter(
        operator=values["operator"] or None,
        id_number=values["id_number"] or None,
        person_id=_uuid(values["person_id"]),
        action=values["action"] or None,
        object_type=values["object_type"] or None,
        since=_day(values["from"], "from"),
        until=_day(values["to"], "to"),
    )


def _code(given: str | None, labels: dict[str, str]) -> str | None:
    """An action or object type as the log writes it, given its code or its Chinese label."""
    text = given.strip() if given else ""
    if not text:
        return None
    return next((code for code, label in labels.items() if label == text), text)


def _uuid(raw: str) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed("缴费人编号格式不正确", fields={"person_id": "缴费人编号格式不正确"}) from None


def _day(raw: str, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        message = "日期格式应为 YYYY-MM-DD"
        raise ValidationFailed(message, fields={name: message}) from None


def _after(cursor: str | None) -> Any:
    return paging(MAX_LIMIT, cursor).after


def _cell(text: str) -> str:
    """A cell a spreadsheet would read as a formula (=, +, -, @) is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def include(app: FastAPI) -> None:
    app.include_router(api)
    app.include_router(pages)
