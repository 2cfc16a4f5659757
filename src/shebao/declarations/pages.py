"""The guide's 1.1, 1.2, 1.4, 1.5 and 1.9 pages, and the 选择支付方式 step they lead to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.declarations import presenters
from shebao.declarations.models import STATUS_TAGS, Declaration
from shebao.declarations.repository import DeclarationRepository
from shebao.declarations.service import DeclarationService
from shebao.deps import DbSession, RuntimeDep
from shebao.enrolment.terms import FLEXIBLE_EMPLOYMENT, RESIDENT_MEDICAL, RESIDENT_PENSION, scheme_label
from shebao.errors import NotFound, ShebaoError, ValidationFailed
from shebao.identity.access import Viewer, insured_for, parse_id
from shebao.identity.deps import CurrentPayer, Principal
from shebao.identity.models import Person
from shebao.identity.presenters import person_view, whom_choices
from shebao.kit.clock import start_of_local_day
from shebao.kit.params import DeclarationID
from shebao.payables.models import DECLARED, STATUS_LABELS, TO_DECLARE
from shebao.payables.service import list_payables
from shebao.policy import calc
from shebao.policy.tables import PolicyMissing, default_policy
from shebao.reference.models import TaxOffice
from shebao.runtime import Runtime
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PAGES = {
    RESIDENT_MEDICAL: ("/fees/medical", "城乡居民基本医疗保险缴费办理"),
    RESIDENT_PENSION: ("/fees/pension", "城乡居民养老保险办理"),
    FLEXIBLE_EMPLOYMENT: ("/fees/flexible", "灵活就业人员应缴费信息查询"),
}
PAYABLE_TAGS = {TO_DECLARE: "blue", DECLARED: "orange", "paid": "green"}


def _fee_page(
    request: Request,
    runtime: Runtime,
    session: Session,
    payer: Principal,
    scheme: str,
    payer_id: str,
    template: str,
    *,
    error: ShebaoError | None = None,
    **extra: Any,
) -> HTMLResponse:
    insured = insured_for(session, payer.person, payer_id or None)
    today = runtime.clock.today()
    listing = list_payables(session, insured.id, today=today, scheme=scheme)
    declared = DeclarationService(
        runtime, session, payer.person, channel=payer.channel
    ).repository.items_for_payables([p.id for p, _ in listing.items if p.status != TO_DECLARE])
    rows: list[dict[str, Any]] = []
    for payable, amounts in listing.items:
        item = declared.get(payable.id)
        rows.append(
            {
                "payable": payable,
                "status_label": STATUS_LABELS[payable.status],
                "tag": PAYABLE_TAGS[payable.status],
                "base_fen": item.base_amount_fen if item else amounts.base_amount_fen,
                "late_fee_fen": item.late_fee_fen if item else amounts.late_fee_fen,
                "amount_fen": item.amount_fen if item else amounts.amount_fen,
                "tax_office": listing.tax_offices[payable.tax_office_code].full_name,
                "agency": listing.agencies[payable.agency_code].name,
            }
        )
    path, title = PAGES[scheme]
    context = {
        "title": title,
        "path": path,
        "scheme": scheme,
        "whom": whom_choices(runtime, session, payer),
        "payer_id": payer_id,
        "insured": person_view(insured),
        "rows": rows,
        "today": today,
        "to_declare_total": sum(r["amount_fen"] for r in rows if r["payable"].status == TO_DECLARE),
        "has_open": any(r["payable"].status == TO_DECLARE for r in rows),
    }
    context.update(extra)
    if scheme == RESIDENT_PENSION:
        context.update(_pension_choice(rows, today, kept=extra.get("kept")))
    elif scheme == FLEXIBLE_EMPLOYMENT:
        context.update(presenters.flexible_groups(rows))
        kept = extra.get("kept")
        context["ticked"] = None if kept is None else set(kept["payable_ids"])
    context["error"] = error
    return render(request, template, context, status_code=error.status_code if error else 200)


def _pension_choice(
    rows: list[dict[str, Any]], today: date, *, kept: dict[str, Any] | None
) -> dict[str, Any]:
    """The pension tiers with their government subsidy, and what is chosen: the typed choice when the form
    comes back refused, else the enrolled amount."""
    open_rows = [r for r in rows if r["payable"].status == TO_DECLARE]
    fee_year = int(open_rows[0]["payable"].period_start[:4]) if open_rows else today.year
    try:
        choice = presenters.pension_choice(default_policy(), fee_year)
    except PolicyMissing:
        return {"tiers": [], "bands": ""}
    if kept is not None:
        chosen, other = kept["amount"], kept["other_amount"]
        checked = set(kept["payable_ids"])
    else:
        enrolled = open_rows[0]["base_fen"] if open_rows else 0
        tier = enrolled if any(fen == enrolled for fen, _ in choice["tiers"]) else None
        chosen = str(tier // 100) if tier else ("other" if enrolled else "")
        other = "" if tier or not enrolled else str(enrolled // 100)
        checked = {str(r["payable"].id) for r in open_rows}
    text = other.strip() if chosen == "other" else chosen
    chosen_fen = int(text) * 100 if text.isdigit() else None
    subsidy = presenters.pension_subsidy(default_policy(), fee_year, chosen_fen) if chosen_fen else None
    return {
        **choice,
        "chosen": chosen,
        "other_amount": other,
        "checked": checked,
        "chosen_fen": chosen_fen if subsidy is not None else None,  # None: outside the range
        "subsidy_fen": subsidy,
        "checked_count": sum(1 for r in open_rows if str(r["payable"].id) in checked),
    }


def _window_notice(scheme: str, today: date) -> str | None:
    collectable_of = (
        calc.resident_medical_collectable if scheme == RESIDENT_MEDICAL else calc.pension_collectable
    )
    try:
        collectable = collectable_of(default_policy(), today)
    except PolicyMissing as exc:
        return exc.message
    return None if collectable.is_open else collectable.message


@router.get("/fees/medical", response_class=HTMLResponse)
def medical(
    request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer, payer_id: str = ""
) -> HTMLResponse:
    notice = _window_notice(RESIDENT_MEDICAL, runtime.clock.today())
    return _fee_page(
        request,
        runtime,
        session,
        payer,
        RESIDENT_MEDICAL,
        payer_id,
        "declarations/medical.html",
        notice=notice,
    )


@router.get("/fees/pension", response_class=HTMLResponse)
def pension(
    request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer, payer_id: str = ""
) -> HTMLResponse:
    today = runtime.clock.today()
    policy = default_policy()
    try:
        fee_year = today.year
        low, high = calc.pension_range(policy, fee_year)
        common = calc.pension_common_amounts(policy, fee_year)
    except PolicyMissing:
        low = high = 0
        common = ()
    return _fee_page(
        request,
        runtime,
        session,
        payer,
        RESIDENT_PENSION,
        payer_id,
        "declarations/pension.html",
        notice=_window_notice(RESIDENT_PENSION, today),
        low=low,
        high=high,
        common=common,
    )


@router.get("/fees/flexible", response_class=HTMLResponse)
def flexible(
    request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer, payer_id: str = ""
) -> HTMLResponse:
    return _fee_page(
        request, runtime, session, payer, FLEXIBLE_EMPLOYMENT, payer_id, "declarations/flexible.html"
    )


# --- what declaring (settlement/pages.py) shows of the fee pages -------------------------------------


def chosen_amount(amount: str, other_amount: str) -> int | None:
    """The pension amount the payer picked, whole yuan → fen; None when the page offers no choice.
    One choice at a time: a tier and a typed 其他金额 together are refused, never silently resolved."""
    other = other_amount.strip()
    if not amount:
        if other:
            raise ValidationFailed(
                "填写其他金额时，请同时选中“其他金额”", fields={"other_amount": "请选中“其他金额”"}
            )
        return None
    if amount != "other":
        if other:
            raise ValidationFailed(
                f"已选择{amount}元档次，又填写了其他金额{other}元，请只保留一种："
                "使用其他金额请选中“其他金额”，否则请清空其他金额",
                fields={"other_amount": "档次与其他金额只能选一种"},
            )
        text = amount
    else:
        if not other:
            raise ValidationFailed("请填写其他金额（元），如 2500", fields={"other_amount": "请填写其他金额"})
        text = other
    if not text.isdigit():
        raise ValidationFailed(
            "其他金额须为整元金额（只填数字，如 2500），请重新填写", fields={"other_amount": "须为整元金额"}
        )
    return int(text) * 100


def refused(
    request: Request,
    runtime: Runtime,
    session: Session,
    payer: Principal,
    error: ShebaoError,
    *,
    scheme: str,
    payer_id: str,
    kept: dict[str, Any],
) -> HTMLResponse:
    """A refused declaration: its fee page again, the message beside the field, the choices kept."""
    templates = {
        RESIDENT_MEDICAL: "declarations/medical.html",
        RESIDENT_PENSION: "declarations/pension.html",
        FLEXIBLE_EMPLOYMENT: "declarations/flexible.html",
    }
    if scheme not in templates or isinstance(error, NotFound):
        back = PAGES.get(scheme, ("/fees", ""))[0]
        return render(
            request,
            "declarations/refused.html",
            {"title": "提示", "error": error, "back": back},
            status_code=error.status_code,
        )
    extra: dict[str, Any] = {"kept": kept}
    if scheme == RESIDENT_MEDICAL:
        extra["notice"] = _window_notice(RESIDENT_MEDICAL, runtime.clock.today())
    elif scheme == RESIDENT_PENSION:
        extra["notice"] = _window_notice(RESIDENT_PENSION, runtime.clock.today())
    return _fee_page(
        request, runtime, session, payer, scheme, payer_id, templates[scheme], error=error, **extra
    )


def payable_ids_of(raw: list[str]) -> list[uuid.UUID]:
    # 1.9 ticks a whole month: its insurance types' ids travel comma-joined in one value.
    values = [part for value in raw for part in value.split(",")]
    keys = (parse_id(value, name="payable_ids", label="应缴费编号") for value in values)
    return [key for key in keys if key is not None]


Ids = Annotated[list[str], Form(default_factory=list, max_length=500)]
Text = Annotated[str, Form(max_length=40)]
# --- 已申报查询 (1.2) and 城乡居民养老保险申报记录查询 (1.5) --------------------------------------------


def _declaration_rows(session: Session, found: list[Declaration]) -> list[dict[str, Any]]:
    codes = sorted({d.tax_office_code for d in found})
    offices = {
        o.code: o.full_name for o in session.scalars(select(TaxOffice).where(TaxOffice.code.in_(codes)))
    }
    people = {d.person_id: session.get(Person, d.person_id) for d in found}
    return [
        {
            "d": d,
            "person": people[d.person_id],
            "office": offices.get(d.tax_office_code, ""),
            "tag": STATUS_TAGS[d.status],
            "scheme_label": scheme_label(d.scheme),
        }
        for d in found
    ]


def _list_page(
    request: Request,
    runtime: Runtime,
    session: Session,
    payer: Principal,
    *,
    scheme: str | None,
    title: str,
    path: str,
    declared_from: str,
    declared_to: str,
    payer_id: str,
) -> HTMLResponse:
    today = runtime.clock.today()
    rows: list[dict[str, Any]] = []
    error: ValidationFailed | None = None
    try:
        start, end = _declared_range(declared_from, declared_to, today=today)
    except ValidationFailed as refused:  # shown beside the field, on the same form, as typed
        error = refused
    else:
        viewer = Viewer.of(session, payer.person)
        found, _ = DeclarationRepository(session).visible_to(
            viewer,
            viewer.whom(payer_id),  # "" is 本人 (oneself only), "all" is 全部
            scheme=scheme,
            declared_from=start_of_local_day(start),
            declared_before=start_of_local_day(end + timedelta(days=1)),
        )
        rows = _declaration_rows(session, found)
        declared_from, declared_to = start.isoformat(), end.isoformat()
    context = {
        "title": title,
        "path": path,
        "rows": rows,
        "declared_from": declared_from,
        "declared_to": declared_to,
        "whom": whom_choices(runtime, session, payer, everyone=True),
        "payer_id": payer_id,
        "pension_page": scheme == RESIDENT_PENSION,
        "today": today,
        "error": error,
    }
    return render(request, "declarations/list.html", context, status_code=error.status_code if error else 200)


def _declared_range(declared_from: str, declared_to: str, *, today: date) -> tuple[date, date]:
    """申报日期起止 as typed (empty: this year so far); a wrong one is refused naming its field."""
    bounds = []
    for name, raw, label, default in (
        ("declared_from", declared_from, "申报日期起", date(today.year, 1, 1)),
        ("declared_to", declared_to, "申报日期止", today),
    ):
        try:
            bounds.append(date.fromisoformat(raw) if raw else default)
        except ValueError as exc:
            message = f"{label}请按“年-月-日”填写，如 {today.isoformat()}"
            raise ValidationFailed(message, fields={name: message}) from exc
    start, end = bounds
    if start > end:
        message = "申报日期起不能晚于申报日期止，请重新选择"
        raise ValidationFailed(message, fields={"declared_from": message})  # said once, beside 起
    return start, end


# 已申报查询 (1.2) lists every scheme; 城乡居民养老保险申报记录查询 (1.5) the pension ones.
LIST_PAGES = {
    "/declarations": (None, "已申报查询"),
    "/declarations/pension": (RESIDENT_PENSION, "城乡居民养老保险申报记录查询"),
}


def _list_route(path: str, scheme: str | None, title: str) -> Callable[..., HTMLResponse]:
    def list_page(
        request: Request,
        runtime: RuntimeDep,
        session: DbSession,
        payer: CurrentPayer,
        declared_from: str = "",
        declared_to: str = "",
        payer_id: str = "",
    ) -> HTMLResponse:
        return _list_page(
            request,
            runtime,
            session,
            payer,
            scheme=scheme,
            title=title,
            path=path,
            declared_from=declared_from,
            declared_to=declared_to,
            payer_id=payer_id,
        )

    return list_page


for _path, (_scheme, _title) in LIST_PAGES.items():
    router.add_api_route(
        _path, _list_route(_path, _scheme, _title), methods=["GET"], response_class=HTMLResponse
    )


def _found(runtime: Runtime, session: Session, payer: Principal, declaration_id: uuid.UUID) -> Declaration:
    return DeclarationService(runtime, session, payer.person, channel=payer.channel).get(declaration_id)


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def detail(
    declaration_id: DeclarationID,
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
) -> HTMLResponse:
    found = _found(runtime, session, payer, declaration_id)
    [row] = _declaration_rows(session, [found])
    return render(
        request, "declarations/detail.html", {"title": "明细数据", "row": row, "today": runtime.clock.today()}
    )


@router.get("/declarations/{declaration_id}/void", response_class=HTMLResponse)
def void_confirm(
    declaration_id: DeclarationID,
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
    back: str = "/declarations",
) -> HTMLResponse:
    found = _found(runtime, session, payer, declaration_id)
    [row] = _declaration_rows(session, [found])
    safe_back = back if back.startswith("/") and not back.startswith("//") else "/declarations"
    return render(request, "declarations/void.html", {"title": "作废申报", "row": row, "back": safe_back})


def include(app: FastAPI) -> None:
    app.include_router(router)
