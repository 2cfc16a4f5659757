"""确认申报信息 → 申报 → 选择支付方式 → 确认缴费 → the provider's cashier → the result page (which waits for
the outcome); 作废. Thin: each handler calls one settlement function; a refused declaration shows its
fee page again (declarations/pages.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.agreements.models import REJECTED
from shebao.agreements.presenters import choice as agreement_choice
from shebao.agreements.repository import AgreementRepository
from shebao.declarations import presenters as declaration_presenters
from shebao.declarations.errors import DeclarationNotFound
from shebao.declarations.models import STATUS_TAGS
from shebao.declarations.pages import PAGES as FEE_PAGES
from shebao.declarations.pages import Ids, Text, chosen_amount, payable_ids_of, refused
from shebao.declarations.service import DeclarationService
from shebao.deps import DbSession, RuntimeDep, Work, WriteSession, settle
from shebao.enrolment.terms import scheme_label
from shebao.errors import ShebaoError
from shebao.identity.access import Viewer, insured_for, parse_id
from shebao.identity.deps import CurrentPayer
from shebao.identity.models import Person
from shebao.identity.presenters import person_view
from shebao.kit.params import DeclarationID, PaymentID
from shebao.payments.errors import PaymentNotFound
from shebao.payments.models import CREATED, METHOD_LABELS, PENDING, UNKNOWN
from shebao.payments.registry import methods_for
from shebao.payments.repository import PaymentRepository
from shebao.policy.tables import default_policy
from shebao.reference.models import TaxOffice
from shebao.settlement.declaration import void_declaration
from shebao.settlement.declare import Declarer
from shebao.settlement.open import PaymentOpener, PaymentRequest
from shebao.settlement.query import settle_one
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

# The result page asks the provider itself when no notification came within this many seconds.
QUERY_AFTER_SECONDS = 5


# --- 确认申报信息 and 申报 ----------------------------------------------------------------------------


@router.post("/declare/confirm", response_class=HTMLResponse)
def confirm_declaration(
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
    payable_ids: Ids,
    scheme: Text = "",
    payer_id: Text = "",
    amount: Text = "",
    other_amount: Text = "",
) -> Response:
    back = FEE_PAGES.get(scheme, ("/fees", ""))[0] + (f"?payer_id={payer_id}" if payer_id else "")
    insured = insured_for(session, payer.person, payer_id or None)
    declarer = Declarer(session, payer.person, channel=payer.channel, now=runtime.clock.now())
    try:
        chosen = chosen_amount(amount, other_amount)
        items = declarer.preview(payable_ids_of(payable_ids), insured, annual_amount_fen=chosen)
    except ShebaoError as error:
        kept = {"amount": amount, "other_amount": other_amount, "payable_ids": payable_ids}
        return refused(request, runtime, session, payer, error, scheme=scheme, payer_id=payer_id, kept=kept)
    first = declarer.repository.payables([items[0].payable_id])[0]
    office = session.get(TaxOffice, first.tax_office_code)
    context = {
        "title": "确认申报信息",
        "insured": person_view(insured),
        "items": items,
        "back": back,
        "total": sum(i.amount_fen for i in items),
        "late": sum(i.late_fee_fen for i in items),
        "tax_office": office.full_name if office else "",
        "scheme_label": scheme_label(first.scheme),
        "payable_ids": [str(i.payable_id) for i in items],
        "payer_id": payer_id,
        "scheme": scheme,
        "amount": amount,
        "other_amount": other_amount,
        "subsidy": (
            declaration_presenters.pension_subsidy(default_policy(), int(first.period_start[:4]), chosen)
            if chosen is not None
            else None
        ),
    }
    return render(request, "declarations/confirm.html", context)


@router.post("/declare", response_class=HTMLResponse)
def declare(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    payer: CurrentPayer,
    payable_ids: Ids,
    scheme: Text = "",
    payer_id: Text = "",
    amount: Text = "",
    other_amount: Text = "",
) -> Response:
    try:
        insured = insured_for(session, payer.person, payer_id or None)
        declarer = Declarer(session, payer.person, channel=payer.channel, now=runtime.clock.now())
        found = declarer.declare(
            payable_ids_of(payable_ids), insured, annual_amount_fen=chosen_amount(amount, other_amount)
        )
    except ShebaoError as error:
        settle(session, error)
        kept = {"amount": amount, "other_amount": other_amount, "payable_ids": payable_ids}
        return refused(request, runtime, session, payer, error, scheme=scheme, payer_id=payer_id, kept=kept)
    return RedirectResponse(f"/pay/{found.id}", status_code=303)


def _summary(
    session: DbSession, declaration_id: str | uuid.UUID, payer: CurrentPayer, runtime: RuntimeDep
) -> dict[str, object]:
    key = parse_id(declaration_id)
    if key is None:
        raise DeclarationNotFound()
    found = DeclarationService(runtime, session, payer.person, channel=payer.channel).get(key)
    person = session.get(Person, found.person_id)
    office = session.get(TaxOffice, found.tax_office_code)
    return {
        "d": found,
        "person": person,
        "office": office.full_name if office else "",
        "scheme_label": scheme_label(found.scheme),
        "tag": STATUS_TAGS[found.status],
    }


def _choices(
    session: DbSession, runtime: RuntimeDep, payer: CurrentPayer, tax_office_code: str
) -> dict[str, object]:
    """The methods of the caller's channel; under 协议支付 the payer's own agreements (also when paying
    for a family member), those that cannot pay this declaration greyed with the reason."""
    methods = [(m, METHOD_LABELS[m]) for m in methods_for(payer.channel, runtime.settings)]
    agreements: list[dict[str, object]] = []
    if "agreement" in dict(methods):
        today = runtime.clock.today()
        found = AgreementRepository(session).of_payer(payer.person.id)
        agreements = [agreement_choice(a, tax_office_code, today) for a in found if a.status != REJECTED]
    usable = [f"agreement:{a['id']}" for a in agreements if a["reason"] is None]
    # The first choice that can pay is checked: a method, or under 协议支付 the first usable agreement.
    selectable = (
        [m for m, _ in methods if m != "agreement"]
        if not usable
        else [usable[0] if m == "agreement" else m for m, _ in methods]
    )
    return {"methods": methods, "agreements": agreements, "default": selectable[0] if selectable else ""}


def _choose_page(
    request: Request,
    session: DbSession,
    payer: CurrentPayer,
    runtime: RuntimeDep,
    declaration_id: str | uuid.UUID,
    *,
    error: ShebaoError | None = None,
) -> HTMLResponse:
    row = _summary(session, declaration_id, payer, runtime)
    context = {
        "title": "选择支付方式",
        "row": row,
        "today": runtime.clock.today(),
        "error": error,
        **_choices(session, runtime, payer, row["d"].tax_office_code),  # type: ignore[attr-defined]
    }
    return render(request, "payments/choose.html", context, status_code=error.status_code if error else 200)


@router.get("/pay/{declaration_id}", response_class=HTMLResponse)
def choose(
    declaration_id: DeclarationID,
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
) -> HTMLResponse:
    return _choose_page(request, session, payer, runtime, declaration_id)


@router.post("/pay/{declaration_id}", response_class=HTMLResponse)
def confirm(
    declaration_id: DeclarationID,
    request: Request,
    runtime: RuntimeDep,
    work: Work,
    payer: CurrentPayer,
    method: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    key = parse_id(declaration_id)
    if key is None:
        raise DeclarationNotFound()
    # 协议支付 is chosen together with its agreement: method "agreement:<agreement id>".
    method, _, agreement = method.partition(":")
    # A mini program knows its payer's platform user id; in the demo the sandbox gives one (its hooks).
    platform_user = getattr(request.app.state, "platform_user_id", None)
    try:
        payment = PaymentOpener(runtime, payer.person, channel=payer.channel, work=work).open(
            PaymentRequest(
                declaration_id=key,
                method=method,
                agreement_id=parse_id(agreement or None),
                platform_user_id=platform_user(payer.person.id, payer.channel) if platform_user else None,
            )
        )
    except ShebaoError as error:
        with work.read() as session:  # after the opener's steps: no read held across its provider call
            return _choose_page(request, session, payer, runtime, declaration_id, error=error)
    url = (payment.pay or {}).get("url")
    if not url and (payment.pay or {}).get("kind") == "mini_program":
        pay_sheet = getattr(request.app.state, "mini_program_cashier", None)
        url = pay_sheet(payment, runtime.settings.base_url) if pay_sheet else None
    return RedirectResponse(
        url if isinstance(url, str) and url else f"/payments/{payment.id}/result", status_code=303
    )


@router.get("/payments/{payment_id}/result", response_class=HTMLResponse)
def result(
    payment_id: PaymentID,
    request: Request,
    runtime: RuntimeDep,
    work: Work,
    payer: CurrentPayer,
) -> HTMLResponse:
    with work.read() as session:
        found = PaymentRepository(session).seen_by(Viewer.of(session, payer.person), payment_id)
    if found is None:
        raise PaymentNotFound()
    waited = (runtime.clock.now() - found.updated_at).total_seconds()
    if found.status in (CREATED, PENDING, UNKNOWN) and waited >= QUERY_AFTER_SECONDS:
        # No notification yet: ask the provider (the return URL proves nothing), with no read open.
        settle_one(runtime, found.id, work)
    with work.read() as session:  # a fresh snapshot: the settle wrote in steps of its own
        current = PaymentRepository(session).get(found.id)
        if current is None:
            raise PaymentNotFound()
        context = {
            "title": "缴费结果",
            "p": current,
            "row": _summary(session, current.declaration_id, payer, runtime),
            "waiting": current.status in (CREATED, PENDING, UNKNOWN),
            "waited": max(0, int(waited)),
            "query_after": QUERY_AFTER_SECONDS,
        }
        return render(request, "payments/result.html", context)


@router.post("/declarations/{declaration_id}/void", response_class=HTMLResponse)
def void(
    declaration_id: DeclarationID,
    request: Request,
    runtime: RuntimeDep,
    payer: CurrentPayer,
    back: Annotated[str, Form(max_length=40)] = "/declarations",
) -> Response:
    key = parse_id(declaration_id)
    safe_back = back if back.startswith("/") and not back.startswith("//") else "/declarations"
    try:
        if key is None:
            raise DeclarationNotFound()
        void_declaration(runtime, payer.person, key, channel=payer.channel)
    except ShebaoError as error:
        return render(
            request,
            "declarations/refused.html",
            {"title": "提示", "error": error, "back": safe_back},
            status_code=error.status_code,
        )
    separator = "&" if "?" in safe_back else "?"
    return RedirectResponse(f"{safe_back}{separator}voided=1", status_code=303)


def include(app: FastAPI) -> None:
    from shebao.channels.unionpay.front import include as unionpay_front

    app.include_router(router)
    unionpay_front(app)  # the page that posts UnionPay's signed front form
