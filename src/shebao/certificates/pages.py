"""The guide's 2.1 社保缴费证明打印 / 下载, 社会保险费缴费证明 (查看), and 2.2 缴费证明查验 (public)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.certificates import presenters
from shebao.certificates.ask import check_ask
from shebao.certificates.models import GENERATING
from shebao.certificates.service import CertificateService
from shebao.certificates.verification import Verifier
from shebao.deps import DbSession, RuntimeDep, WriteSession, settle
from shebao.enrolment.terms import SCHEMES, scheme_label
from shebao.errors import ShebaoError, ValidationFailed
from shebao.identity.access import ALL_CHOICE, insured_for
from shebao.identity.deps import CurrentPayer, optional_principal
from shebao.identity.presenters import person_view, whom_choices
from shebao.kit.clock import to_shanghai
from shebao.kit.params import CertificateID
from shebao.web.clients import client_address as client_ip
from shebao.web.security import csrf_protect
from shebao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Text = Annotated[str, Form(max_length=64)]


def _print_page(
    request: Request,
    runtime: RuntimeDep,
    session: Any,
    payer: CurrentPayer,
    values: dict[str, str],
    *,
    error: ShebaoError | None = None,
) -> HTMLResponse:
    records: list[Any] = []
    insured = insured_for(
        session, payer.person, values["payer_id"] if values["payer_id"] != ALL_CHOICE else None
    )
    if error is None:
        try:
            ask = check_ask(
                values["scheme"], values["period_from"], values["period_to"], runtime.clock.today()
            )
            service = CertificateService(runtime, session, payer.person, channel=payer.channel)
            records = service.paid(ask, values["payer_id"] or None)
        except ShebaoError as problem:
            error = problem
    context = {
        "title": "社保缴费证明打印",
        "values": values,
        "schemes": [(s, scheme_label(s)) for s in SCHEMES],
        "whom": whom_choices(runtime, session, payer),
        "insured": person_view(insured),
        "records": records,
        "error": error,
    }
    return render(
        request, "certificates/print.html", context, status_code=error.status_code if error else 200
    )


def _defaults(
    runtime: RuntimeDep, scheme: str, period_from: str, period_to: str, payer_id: str
) -> dict[str, str]:
    year = runtime.clock.today().year
    return {
        "scheme": scheme or SCHEMES[0],
        "period_from": period_from or f"{year}-01",
        "period_to": period_to or f"{year}-12",
        "payer_id": payer_id,
    }


@router.get("/certificates/print", response_class=HTMLResponse)
def print_page(
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
    scheme: str = "",
    period_from: str = "",
    period_to: str = "",
    payer_id: str = "",
) -> HTMLResponse:
    """社保缴费证明打印: query paid records by 费款所属期 (prefilled from a record's 证明申请)."""
    values = _defaults(runtime, scheme, period_from, period_to, payer_id)
    return _print_page(request, runtime, session, payer, values)


@router.post("/certificates/print", response_class=HTMLResponse)
def apply(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    payer: CurrentPayer,
    scheme: Text = "",
    period_from: Text = "",
    period_to: Text = "",
    payer_id: Text = "",
) -> Response:
    """证明申请 → 社保缴费证明下载, where the request shows 制作中 until it is ready."""
    values = {"scheme": scheme, "period_from": period_from, "period_to": period_to, "payer_id": payer_id}
    try:
        ask = check_ask(scheme, period_from, period_to, runtime.clock.today())
        CertificateService(runtime, session, payer.person, channel=payer.channel).request(
            ask, payer_id or None
        )
    except ShebaoError as error:
        settle(session, error)
        return _print_page(request, runtime, session, payer, values, error=error)
    return RedirectResponse("/certificates?applied=1", status_code=303)


@router.get("/certificates", response_class=HTMLResponse)
def download_page(
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
    applied_from: str = "",
    applied_to: str = "",
    applied: str = "",
) -> HTMLResponse:
    """社保缴费证明下载: the payer's requests by 申请日期, newest first; 制作中 refreshes itself."""
    today = runtime.clock.today()
    values = {
        "applied_from": applied_from or (today - timedelta(days=90)).isoformat(),
        "applied_to": applied_to or today.isoformat(),
    }
    error: ShebaoError | None = None
    certificates: list[Any] = []
    try:
        start, end = date.fromisoformat(values["applied_from"]), date.fromisoformat(values["applied_to"])
        found, _ = CertificateService(runtime, session, payer.person, channel=payer.channel).list(start, end)
        certificates = [(c, presenters.certificate(c, api=False)) for c in found]
    except ValueError:
        error = ValidationFailed("申请日期格式应为YYYY-MM-DD", fields={"applied_from": "日期格式不正确"})
    except ShebaoError as problem:
        error = problem
    context = {
        "title": "社保缴费证明下载",
        "values": values,
        "certificates": certificates,
        "generating": any(c.status == GENERATING for c, _ in certificates),
        "applied": applied == "1",
        "error": error,
    }
    return render(request, "certificates/list.html", context, status_code=error.status_code if error else 200)


@router.post("/certificates/{certificate_id}/retry")
def retry(
    certificate_id: CertificateID, runtime: RuntimeDep, session: WriteSession, payer: CurrentPayer
) -> Response:
    """重新制作."""
    CertificateService(runtime, session, payer.person, channel=payer.channel).retry(certificate_id)
    return RedirectResponse("/certificates?applied=1", status_code=303)


@router.get("/certificates/{certificate_id}", response_class=HTMLResponse)
def view(
    certificate_id: CertificateID,
    request: Request,
    runtime: RuntimeDep,
    session: DbSession,
    payer: CurrentPayer,
) -> HTMLResponse:
    """社会保险费缴费证明: the certificate as an image (long-press to save) and the PDF."""
    service = CertificateService(runtime, session, payer.person, channel=payer.channel)
    found = service.own(certificate_id)
    service.file(certificate_id)  # 409 until ready
    context = {"title": "社会保险费缴费证明", "certificate": presenters.certificate(found, api=False)}
    return render(request, "certificates/view.html", context)


@router.get("/certificates/{certificate_id}/image.png")
def image(
    certificate_id: CertificateID, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> Response:
    service = CertificateService(runtime, session, payer.person, channel=payer.channel)
    png = service.file(certificate_id).png
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _verify_page(
    request: Request,
    runtime: RuntimeDep,
    session: Any,
    values: dict[str, str],
    *,
    error: ShebaoError | None = None,
) -> HTMLResponse:
    try:
        made = Verifier(runtime, session, client_ip=client_ip(request)).new_captcha()
        captcha: dict[str, str] | None = {"id": str(made.captcha_id), "image": made.data_url}
    except ShebaoError as problem:  # too many captchas from this address
        captcha, error = None, error or problem
    refresh = "/verify?" + urlencode({k: values[k] for k in ("taxpayer_id", "code") if values.get(k)})
    context = {
        "title": "缴费证明查验",
        "values": values,
        "captcha": captcha,
        "refresh": refresh,
        "error": error,
    }
    status = error.status_code if error else 200
    return render(request, "certificates/verify.html", context, status_code=status)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request, runtime: RuntimeDep, session: WriteSession, taxpayer_id: str = "", code: str = ""
) -> HTMLResponse:
    """缴费证明查验, public: the QR code opens it with both fields filled in."""
    optional_principal(request)
    return _verify_page(request, runtime, session, {"taxpayer_id": taxpayer_id[:32], "code": code[:32]})


@router.post("/verify", response_class=HTMLResponse)
def verify_submit(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    taxpayer_id: Text = "",
    code: Text = "",
    captcha_id: Text = "",
    captcha_answer: Text = "",
) -> HTMLResponse:
    """开始校验 → the certificate's content (name masked) and its PDF."""
    optional_principal(request)
    values = {"taxpayer_id": taxpayer_id, "code": code}
    try:
        verified = Verifier(runtime, session, client_ip=client_ip(request)).verify(
            taxpayer_id, code, captcha_id, captcha_answer
        )
    except ShebaoError as error:
        settle(session, error)
        return _verify_page(request, runtime, session, values, error=error)
    pdf_url = f"/api/v1/certificates/verified/{verified.pdf_token}.pdf"
    context = {
        "title": "缴费证明查验",
        "result": presenters.verification(verified, pdf_url),
        "issued_at": to_shanghai(verified.certificate.issued_at) if verified.certificate.issued_at else None,
    }
    return render(request, "certificates/verified.html", context)


def include(app: FastAPI) -> None:
    app.include_router(router)
