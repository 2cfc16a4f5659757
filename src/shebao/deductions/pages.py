"""The guide's 1.7 缴费金额设置 and 1.8 缴费金额作废 pages, for oneself and family members.

1.7 lists the insured person's settings (with the last deduction of each) and sets a new one: 险种,
缴费金额 (the common amounts and 其他金额; medical at the policy amount), 有效期起止, the agreement.
1.8 lists the active settings with 作废, asked again in a dialog, then 作废成功！.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from shebao.agreements.models import REJECTED, REVOKED
from shebao.agreements.repository import AgreementRepository
from shebao.agreements.rules import status_on
from shebao.deductions import presenters
from shebao.deductions.models import ACTIVE, VOIDED
from shebao.deductions.repository import SettingRepository
from shebao.deductions.settings import SettingRequest, SettingService
from shebao.deps import RuntimeDep, Work, request_work
from shebao.enrolment.terms import RESIDENT_MEDICAL, RESIDENT_PENSION, scheme_label
from shebao.errors import ShebaoError, ValidationFailed
from shebao.identity.access import insured_for, parse_id
from shebao.identity.deps import CurrentPayer, Principal
from shebao.identity.presenters import person_view, whom_choices
from shebao.kit.clock import to_shanghai
from shebao.kit.masking import mask_account
from shebao.kit.params import SettingID
from shebao.policy import calc
from shebao.policy.tables import PolicyMissing, default_policy
from shebao.reference.catalog import load_catalog
from shebao.runtime import Runtime
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

SETTINGS_PATH = "/contribution-settings"
VOID_PATH = "/contribution-settings/void"
SCHEMES = [
    (RESIDENT_PENSION, scheme_label(RESIDENT_PENSION)),
    (RESIDENT_MEDICAL, scheme_label(RESIDENT_MEDICAL)),
]
YEARS_AHEAD = 5
Text = Annotated[str, Form(max_length=40)]


def _whom(runtime: Runtime, session: Session, payer: Principal, payer_id: str) -> dict[str, Any]:
    insured = insured_for(session, payer.person, payer_id or None)
    return {
        "whom": whom_choices(runtime, session, payer),
        "payer_id": payer_id,
        "insured": person_view(insured),
        "insured_id": insured.id,
    }


def _list_page(
    request: Request, runtime: Runtime, payer: Principal, payer_id: str, *, voiding: bool
) -> HTMLResponse:
    with request_work(request).read() as session:
        context = _whom(runtime, session, payer, payer_id)
        found, _ = SettingRepository(session).visible(
            payer.person.id, person_id=context["insured_id"], status=ACTIVE if voiding else None
        )
        cards = presenters.cards(session, found, payer.person)
    context.update(
        {
            "title": "缴费金额作废" if voiding else "缴费金额设置",
            "path": VOID_PATH if voiding else SETTINGS_PATH,
            "cards": cards,
            "voiding": voiding,
            "created": request.query_params.get("created") == "1",
        }
    )
    return render(request, "deductions/list.html", context)


@router.get(SETTINGS_PATH, response_class=HTMLResponse)
def settings_page(
    request: Request, runtime: RuntimeDep, payer: CurrentPayer, payer_id: str = ""
) -> HTMLResponse:
    return _list_page(request, runtime, payer, payer_id, voiding=False)


@router.get(VOID_PATH, response_class=HTMLResponse)
def void_list(request: Request, runtime: RuntimeDep, payer: CurrentPayer, payer_id: str = "") -> HTMLResponse:
    return _list_page(request, runtime, payer, payer_id, voiding=True)


# --- 设置 ---------------------------------------------------------------------------------------------


def _years(today_year: int, scheme: str) -> list[int]:
    """The fee years the form offers: this year on, as far as the policy tables reach."""
    policy = default_policy()
    years = []
    for year in range(today_year, today_year + YEARS_AHEAD + 1):
        try:
            (policy.pension_range if scheme == RESIDENT_PENSION else policy.medical_contribution)(year)
        except PolicyMissing:
            break
        years.append(year)
    return years or [today_year]


def _agreements(session: Session, payer: Principal, today: Any) -> list[dict[str, Any]]:
    catalog = load_catalog()
    choices = []
    for agreement in AgreementRepository(session).of_payer(payer.person.id):
        status = status_on(agreement, today)
        if status in (REVOKED, REJECTED):
            continue
        bank = catalog.bank(agreement.bank_code)
        office = catalog.tax_office(agreement.tax_office_code)
        choices.append(
            {
                "id": str(agreement.id),
                "label": f"{bank.name if bank else agreement.bank_code} {mask_account(agreement.account_no)}",
                "office": office.full_name if office else agreement.tax_office_code,
                "pending": status != "active",
                "effective_from": agreement.effective_from,
            }
        )
    return choices


def _form_page(
    request: Request,
    runtime: Runtime,
    payer: Principal,
    values: dict[str, Any],
    *,
    error: ShebaoError | None = None,
) -> HTMLResponse:
    today = runtime.clock.today()
    scheme = values.get("scheme") or RESIDENT_PENSION
    with request_work(request).read() as session:
        context = _whom(runtime, session, payer, values.get("payer_id", ""))
        agreements = _agreements(session, payer, today)
    years = _years(today.year, scheme)
    policy = default_policy()
    try:
        choice = presenters_pension(policy, years[0])
    except PolicyMissing:
        choice = {"low": 0, "high": 0, "tiers": []}
    context.update(
        {
            "title": "缴费金额设置",
            "path": SETTINGS_PATH + "/new",
            "values": values,
            "scheme": scheme,
            "schemes": SCHEMES,
            "years": years,
            "agreements": agreements,
            "error": error,
            **choice,
        }
    )
    return render(request, "deductions/new.html", context, status_code=error.status_code if error else 200)


def presenters_pension(policy: Any, fee_year: int) -> dict[str, Any]:
    low, high = calc.pension_range(policy, fee_year)
    return {"low": low, "high": high, "tiers": list(calc.pension_common_amounts(policy, fee_year))}


@router.get(SETTINGS_PATH + "/new", response_class=HTMLResponse)
def new(
    request: Request, runtime: RuntimeDep, payer: CurrentPayer, payer_id: str = "", scheme: str = ""
) -> HTMLResponse:
    year = runtime.clock.today().year
    chosen = scheme if scheme in (RESIDENT_PENSION, RESIDENT_MEDICAL) else RESIDENT_PENSION
    values = {
        "payer_id": payer_id,
        "scheme": chosen,
        "amount": "",
        "other_amount": "",
        "valid_from": str(year),
        "valid_to": str(_years(year, chosen)[-1]),
        "agreement_id": "",
    }
    return _form_page(request, runtime, payer, values)


def _amount(scheme: str, amount: str, other_amount: str) -> int | None:
    """The typed pension amount in fen (whole yuan); None for medical, which is at the policy amount."""
    if scheme != RESIDENT_PENSION:
        return None
    text = other_amount.strip() if amount == "other" else amount
    if amount == "other" and not text:
        raise ValidationFailed("请填写其他金额（元），如 2500", fields={"other_amount": "请填写其他金额"})
    if not text:
        raise ValidationFailed("请选择缴费金额", fields={"amount": "请选择缴费金额"})
    if not text.isdigit() or len(text) > 6:
        raise ValidationFailed(
            "缴费金额须为整元金额（只填数字，如 2500）", fields={"other_amount": "须为整元金额"}
        )
    return int(text) * 100


def _year(text: str, name: str, label: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise ValidationFailed(f"请选择{label}", fields={name: f"请选择{label}"})
    return int(text)


@router.post(SETTINGS_PATH + "/new", response_class=HTMLResponse)
def submit(
    request: Request,
    runtime: RuntimeDep,
    work: Work,
    payer: CurrentPayer,
    payer_id: Text = "",
    scheme: Text = "",
    amount: Text = "",
    other_amount: Text = "",
    valid_from: Text = "",
    valid_to: Text = "",
    agreement_id: Text = "",
    step: Text = "submit",
) -> Response:
    values = {
        "payer_id": payer_id,
        "scheme": scheme,
        "amount": amount,
        "other_amount": other_amount,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "agreement_id": agreement_id,
    }
    if step != "submit":  # 险种 changed without script: the same form again, for that scheme
        return _form_page(request, runtime, payer, values)
    try:
        setting_request = SettingRequest(
            scheme=scheme,
            agreement_id=parse_id(agreement_id, name="agreement_id", label="缴费协议"),
            valid_from=_year(valid_from, "valid_from", "有效期起"),
            valid_to=_year(valid_to, "valid_to", "有效期止"),
            annual_amount_fen=_amount(scheme, amount, other_amount),
            family_id=payer_id or None,
        )
        with work.step() as step_:
            SettingService(step_.session, payer.person, channel=payer.channel, now=step_.now).create(
                setting_request
            )
    except ShebaoError as error:
        if error.status_code == 404:
            raise
        return _form_page(request, runtime, payer, values, error=error)
    suffix = f"&payer_id={payer_id}" if payer_id else ""
    return RedirectResponse(f"{SETTINGS_PATH}?created=1{suffix}", status_code=303)


# --- 作废 ---------------------------------------------------------------------------------------------


def _card(request: Request, payer: Principal, setting_id: uuid.UUID) -> dict[str, Any]:
    with request_work(request).step(write=False) as step:
        found = SettingService(step.session, payer.person, channel=payer.channel, now=step.now).get(
            setting_id
        )
        return presenters.cards(step.session, [found], payer.person)[0]


@router.get(SETTINGS_PATH + "/{setting_id}/void", response_class=HTMLResponse)
def void_confirm(
    setting_id: SettingID, request: Request, runtime: RuntimeDep, payer: CurrentPayer
) -> Response:
    card = _card(request, payer, setting_id)
    if card["s"].status != ACTIVE:
        return RedirectResponse(VOID_PATH, status_code=303)
    return render(request, "deductions/void.html", {"title": "缴费金额作废", "c": card})


@router.post(SETTINGS_PATH + "/{setting_id}/void", response_class=HTMLResponse)
def void(
    setting_id: SettingID, request: Request, runtime: RuntimeDep, work: Work, payer: CurrentPayer
) -> Response:
    try:
        with work.step() as step:
            SettingService(step.session, payer.person, channel=payer.channel, now=step.now).void(setting_id)
    except ShebaoError as error:
        if error.status_code == 404:
            raise
        card = _card(request, payer, setting_id)
        context = {"title": "缴费金额作废", "c": card, "error": error}
        return render(request, "deductions/void.html", context, status_code=error.status_code)
    return RedirectResponse(f"{SETTINGS_PATH}/{setting_id}/voided", status_code=303)


@router.get(SETTINGS_PATH + "/{setting_id}/voided", response_class=HTMLResponse)
def voided(setting_id: SettingID, request: Request, runtime: RuntimeDep, payer: CurrentPayer) -> Response:
    card = _card(request, payer, setting_id)
    if card["s"].status != VOIDED:
        return RedirectResponse(VOID_PATH, status_code=303)
    voided_at = card["s"].voided_at
    context = {
        "title": "缴费金额作废",
        "c": card,
        "voided_on": to_shanghai(voided_at).date() if voided_at else None,
    }
    return render(request, "deductions/voided.html", context)


def include(app: FastAPI) -> None:
    app.include_router(router)
