"""1.3 城乡居民医疗缴费记录查询, 1.6 城乡居民养老保险已缴费查询, 1.10 灵活就业人员缴费记录查询."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.deps import DbSession, RuntimeDep, WriteSession, settle
from shebao.enrolment.terms import FLEXIBLE_EMPLOYMENT, RESIDENT_MEDICAL, RESIDENT_PENSION
from shebao.errors import NotFound, ShebaoError, ValidationFailed
from shebao.identity.access import EVERYTHING, Viewer, insured_for
from shebao.identity.deps import CurrentPayer
from shebao.identity.documents import ID_TYPE_LABELS
from shebao.identity.errors import FamilyExists
from shebao.identity.family import FamilyService
from shebao.identity.presenters import person_view, whom_choices
from shebao.records.service import check_filter, payment_records
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

OTHER = "other"  # 查询对象「他人」
SLUGS = {"medical": RESIDENT_MEDICAL, "pension": RESIDENT_PENSION, "flexible": FLEXIBLE_EMPLOYMENT}
PAGES = {
    RESIDENT_MEDICAL: ("/records/medical", "城乡居民医疗缴费记录查询"),
    RESIDENT_PENSION: ("/records/pension", "城乡居民养老保险已缴费查询"),
    FLEXIBLE_EMPLOYMENT: ("/records/flexible", "灵活就业人员缴费记录查询"),
}


def _page(
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
    scheme: str,
    period_from: str,
    period_to: str,
    payer_id: str,
    *,
    other_error: ShebaoError | None = None,
    other: dict[str, str] | None = None,
) -> HTMLResponse:
    year = runtime.clock.today().year
    # Sensible defaults: last year to next year covers what is paid now for the coming year too.
    period_from = period_from or f"{year - 1}-01"
    period_to = period_to or f"{year + 1}-12"
    # 1.6 查询对象「他人」: the payer types the person's 姓名, 证件类型 and 证件号码 (a form of its own).
    asks_other = scheme == RESIDENT_PENSION and (payer_id == OTHER or other is not None)
    viewer = Viewer.of(session, payer.person)
    whom = None if asks_other else viewer.whom(payer_id)  # "" is 本人 (oneself only), "all" is 全部
    insured = (
        None if asks_other or whom == EVERYTHING else insured_for(session, payer.person, payer_id or None)
    )
    records: list[Any] = []
    error: ValidationFailed | None = None
    try:
        where = check_filter(scheme, period_from, period_to)
    except ValidationFailed as refused:  # shown beside the field, on the same form, as typed
        error = refused
    else:
        if whom is not None:
            records, _ = payment_records(session, viewer, whom, where)
    path, title = PAGES[scheme]
    return render(
        request,
        "records/list.html",
        {
            "title": title,
            "path": path,
            "scheme": scheme,
            "records": records,
            "period_from": period_from,
            "period_to": period_to,
            "whom": whom_choices(runtime, session, payer, everyone=True),
            "payer_id": payer_id,
            "insured": person_view(insured) if insured else None,
            "pension_page": scheme == RESIDENT_PENSION,
            "error": error,
            "other_error": other_error,
            "asks_other": asks_other,
            "other": other or {"id_type": "resident_id"},
            "id_types": ID_TYPE_LABELS,
        },
        status_code=shown.status_code if (shown := error or other_error) else 200,
    )


@router.get("/records/{slug}", response_class=HTMLResponse)
def records(
    slug: str,
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
    period_from: str = "",
    period_to: str = "",
    payer_id: str = "",
) -> HTMLResponse:
    """/records/medical (1.3), /records/pension (1.6), /records/flexible (1.10)."""
    scheme = SLUGS.get(slug)
    if scheme is None:
        raise NotFound("页面不存在或已下线")
    return _page(request, runtime, session, payer, scheme, period_from, period_to, payer_id)


Text = Annotated[str, Form(max_length=60)]


@router.post("/records/pension/other", response_class=HTMLResponse)
def pension_records_of_another(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    payer: CurrentPayer,
    name: Text = "",
    id_type: Text = "resident_id",
    id_number: Text = "",
    period_from: Text = "",
    period_to: Text = "",
) -> Response:
    """1.6 他人: the person typed in becomes a family member (records they paid themselves still need
    their consent, as for any family member); then their records, as for any family member."""
    typed = {"name": name, "id_type": id_type, "id_number": id_number}
    try:
        row, _ = FamilyService(runtime, session, payer.person, channel=payer.channel).add(
            name, id_type, id_number, "other"
        )
    except ShebaoError as error:
        settle(session, error)
        if isinstance(error, FamilyExists):
            error = FamilyExists(
                "该人员已是您的家庭成员，请在“查询对象”中直接选择", fields={"id_number": "已添加"}
            )
        return _page(
            request,
            runtime,
            session,
            payer,
            RESIDENT_PENSION,
            period_from,
            period_to,
            OTHER,
            other_error=error,
            other=typed,
        )
    query = urlencode({"payer_id": str(row.id), "period_from": period_from, "period_to": period_to})
    return RedirectResponse(f"/records/pension?{query}", status_code=303)


def include(app: FastAPI) -> None:
    app.include_router(router)
