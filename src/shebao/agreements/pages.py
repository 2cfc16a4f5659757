"""The guide's 缴费协议 pages: the list, 新增协议 (with 签订成功), 撤销 (asked again, then 撤销成功！)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.agreements import presenters
from shebao.agreements.form import AgreementForm
from shebao.agreements.models import REVOKED
from shebao.agreements.repository import AgreementRepository
from shebao.agreements.service import AgreementService
from shebao.deps import DbSession, RuntimeDep
from shebao.enrolment.models import Enrolment
from shebao.enrolment.terms import SCHEMES, scheme_label
from shebao.errors import ShebaoError
from shebao.identity.deps import CurrentPayer, Principal
from shebao.kit.params import AgreementID
from shebao.reference.catalog import load_catalog
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Code = Annotated[str, Form(max_length=16)]
Schemes = Annotated[list[str], Form(default_factory=list, max_length=3)]
FIELDS = ("tax_office_code", "agency_code", "bank_code", "bank_region_code", "branch_code")


@router.get("/agreements", response_class=HTMLResponse)
def agreements(
    request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> HTMLResponse:
    today = runtime.clock.today()
    cards = [presenters.card(a, today) for a in AgreementRepository(session).of_payer(payer.person.id)]
    return render(request, "agreements/list.html", {"title": "缴费协议", "cards": cards})


def _defaults(session: Session, payer: Principal) -> dict[str, Any]:
    """The payer's own tax office and agency (from their enrolment) as the form's first choice."""
    enrolment = session.scalars(
        select(Enrolment).where(Enrolment.person_id == payer.person.id).order_by(Enrolment.created_at)
    ).first()
    return {
        "tax_office_code": enrolment.tax_office_code if enrolment else "",
        "agency_code": enrolment.agency_code if enrolment else "",
        "withhold": "0",
        "withhold_schemes": [],
    }


def _form_page(
    request: Request,
    values: dict[str, Any],
    *,
    error: ShebaoError | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    catalog = load_catalog()
    bureaus = [o for o in catalog.tax_offices if o.level == "bureau"]
    offices = [(b, [b, *catalog.offices_under(b.code)]) for b in bureaus]
    branches = catalog.branches_for(values.get("bank_code", ""), values.get("bank_region_code", ""))
    context = {
        "title": "新增协议",
        "values": values,
        "offices": offices,
        "agencies": catalog.agencies,
        "banks": catalog.banks,
        "regions": [r for r in catalog.regions if r.kind == "district"],
        "branches": branches,
        "schemes": [(s, scheme_label(s)) for s in SCHEMES],
        "error": error,
    }
    code = status_code if status_code is not None else (error.status_code if error else 200)
    return render(request, "agreements/new.html", context, status_code=code)


@router.get("/agreements/new", response_class=HTMLResponse)
def new(request: Request, session: DbSession, payer: CurrentPayer) -> HTMLResponse:
    return _form_page(request, _defaults(session, payer))


@router.post("/agreements/new", response_class=HTMLResponse)
def submit(
    request: Request,
    runtime: RuntimeDep,
    payer: CurrentPayer,
    withhold_schemes: Schemes,
    tax_office_code: Code = "",
    agency_code: Code = "",
    bank_code: Code = "",
    bank_region_code: Code = "",
    branch_code: Code = "",
    holder_name: Annotated[str, Form(max_length=50)] = "",
    account_no: Annotated[str, Form(max_length=40)] = "",
    withhold: Annotated[str, Form(max_length=1)] = "0",
    step: Annotated[str, Form(max_length=16)] = "submit",
) -> Response:
    values: dict[str, Any] = {
        "tax_office_code": tax_office_code,
        "agency_code": agency_code,
        "bank_code": bank_code,
        "bank_region_code": bank_region_code,
        "branch_code": branch_code,
        "holder_name": holder_name,
        "account_no": account_no,
        "withhold": "1" if withhold == "1" else "0",
        "withhold_schemes": withhold_schemes,
    }
    if step != "submit":
        # 开户银行 or 银行行政区划 changed (no script): the same form again, with that bank's branches there.
        return _form_page(request, values)
    form = AgreementForm(
        **{name: values[name] for name in FIELDS},
        holder_name=holder_name,
        account_no=account_no,
        withhold=values["withhold"] == "1",
        withhold_schemes=withhold_schemes,
    )
    try:
        signed = AgreementService(runtime, payer.person, channel=payer.channel).sign(form)
    except ShebaoError as error:
        return _form_page(request, values, error=error)
    return RedirectResponse(f"/agreements/{signed.id}?signed=1", status_code=303)


def _card(runtime: RuntimeDep, session: Session, payer: Principal, agreement_id: uuid.UUID) -> dict[str, Any]:
    found = AgreementService(runtime, payer.person, channel=payer.channel).own(session, agreement_id)
    return presenters.card(found, runtime.clock.today())


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def detail(
    agreement_id: AgreementID, request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> HTMLResponse:
    card = _card(runtime, session, payer, agreement_id)
    signed = request.query_params.get("signed") == "1"
    return render(request, "agreements/detail.html", {"title": "缴费协议", "c": card, "signed": signed})


@router.get("/agreements/{agreement_id}/revoke", response_class=HTMLResponse)
def revoke_confirm(
    agreement_id: AgreementID, request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> Response:
    card = _card(runtime, session, payer, agreement_id)
    if not card["revocable"]:
        return RedirectResponse(f"/agreements/{agreement_id}", status_code=303)
    return render(request, "agreements/revoke.html", {"title": "撤销协议", "c": card})


@router.post("/agreements/{agreement_id}/revoke", response_class=HTMLResponse)
def revoke(
    agreement_id: AgreementID, request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> Response:
    try:
        AgreementService(runtime, payer.person, channel=payer.channel).revoke(agreement_id)
    except ShebaoError as error:
        if error.status_code == 404:
            raise
        card = _card(runtime, session, payer, agreement_id)
        return render(
            request,
            "agreements/revoke.html",
            {"title": "撤销协议", "c": card, "error": error},
            status_code=error.status_code,
        )
    return RedirectResponse(f"/agreements/{agreement_id}/revoked", status_code=303)


@router.get("/agreements/{agreement_id}/revoked", response_class=HTMLResponse)
def revoked(
    agreement_id: AgreementID, request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> Response:
    card = _card(runtime, session, payer, agreement_id)
    if card["a"].status != REVOKED:
        return RedirectResponse(f"/agreements/{agreement_id}", status_code=303)
    return render(request, "agreements/revoked.html", {"title": "撤销协议", "c": card})


def include(app: FastAPI) -> None:
    app.include_router(router)
