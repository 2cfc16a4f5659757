"""1.3 城乡居民医疗缴费记录查询, 1.6 城乡居民养老保险已缴费查询, 1.10 灵活就业人员缴费记录查询."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from shebao.deps import DbSession, RuntimeDep
from shebao.enrolment.terms import FLEXIBLE_EMPLOYMENT, RESIDENT_MEDICAL, RESIDENT_PENSION
from shebao.errors import NotFound
from shebao.identity.access import EVERYTHING, Viewer, insured_for
from shebao.identity.deps import CurrentPayer
from shebao.identity.presenters import person_view, whom_choices
from shebao.records.service import check_filter, payment_records
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

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
) -> HTMLResponse:
    year = runtime.clock.today().year
    # Sensible defaults: last year to next year covers what is paid now for the coming year too.
    period_from = period_from or f"{year - 1}-01"
    period_to = period_to or f"{year + 1}-12"
    where = check_filter(scheme, period_from, period_to)
    viewer = Viewer.of(session, payer.person)
    whom = viewer.whom(payer_id)  # "" is 本人 (oneself only), "all" is 全部
    records = payment_records(session, viewer, whom, where)
    insured = None if whom == EVERYTHING else insured_for(session, payer.person, payer_id or None)
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
        },
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


def include(app: FastAPI) -> None:
    app.include_router(router)
