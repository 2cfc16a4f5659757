"""登录 / 实人认证 / 人脸认证, 退出登录, 家庭成员 and 授权 pages."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.deps import DbSession, RuntimeDep, WriteSession, settle
from shebao.errors import ShebaoError, ValidationFailed
from shebao.identity import captcha, errors, presenters
from shebao.identity.codes import LIFETIME_MINUTES
from shebao.identity.deps import SESSION_COOKIE, CurrentPayer, MaybePayer, request_channel
from shebao.identity.documents import ID_TYPE_LABELS
from shebao.identity.family import RELATIONS, ConsentService, FamilyService
from shebao.identity.service import VERIFICATION_LIFETIME, CaptchaAnswer, LoginRequest, LoginService
from shebao.kit.masking import mask_phone
from shebao.kit.params import FamilyID
from shebao.web.clients import address_bucket
from shebao.web.clients import client_address as client_ip
from shebao.web.security import csrf_protect
from shebao.web.templating import render
from shebao.web.urls import local_path

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

LOGIN_FIELDS = {"phone": "手机号码", "sms_code": "短信验证码", "name": "姓名", "id_number": "证件号码"}
# The browser that starts a login holds this nonce; only that browser completes the login.
LOGIN_COOKIE = "shebao_login"
CAPTCHA_ERRORS = (captcha.CaptchaRequired, captcha.CaptchaInvalid)


def _login_page(
    request: Request,
    session: WriteSession | None,
    values: dict[str, str],
    *,
    error: ShebaoError | None = None,
    notice: str | None = None,
    resend_after: int | None = None,
) -> HTMLResponse:
    issued = None
    if session is not None and (isinstance(error, CAPTCHA_ERRORS) or values.get("captcha_id")):
        # Once a captcha was asked for, every next try of this form carries a fresh one.
        runtime = request.app.state.runtime
        issued = captcha.issue_for(session, address_bucket(client_ip(request)), runtime.clock.now())
    if isinstance(error, errors.SmsTooFrequent) and error.retry_after is not None:
        resend_after = int(error.retry_after.total_seconds())
    context = {
        "title": "登录",
        "values": values,
        "id_types": ID_TYPE_LABELS,
        "error": error,
        "notice": notice,
        "next": local_path(values.get("next")),
        "captcha": issued,
        "resend_after": resend_after,
    }
    return render(request, "identity/login.html", context, status_code=error.status_code if error else 200)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, payer: MaybePayer, next: str = "/") -> Response:  # noqa: A002
    if payer is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return _login_page(request, None, {"next": next, "id_type": "resident_id"})


Text = Annotated[str, Form(max_length=60)]


@dataclass
class LoginForm:
    phone: Text = ""
    sms_code: Text = ""
    name: Text = ""
    id_type: Text = "resident_id"
    id_number: Text = ""
    next: Text = "/"
    captcha_id: Text = ""
    captcha_answer: Text = ""

    def values(self) -> dict[str, str]:
        kept = asdict(self)
        kept.pop("captcha_answer")
        return kept

    def service(self, request: Request, runtime: RuntimeDep, session: WriteSession) -> LoginService:
        return LoginService(
            runtime,
            session,
            client_ip=client_ip(request),
            channel=request_channel(request),
            captcha_answer=CaptchaAnswer(self.captcha_id or None, self.captcha_answer or None),
        )


Login = Annotated[LoginForm, Depends()]


@router.post("/login/sms", response_class=HTMLResponse)
def login_sms(request: Request, runtime: RuntimeDep, session: WriteSession, form: Login) -> HTMLResponse:
    values = form.values()
    try:
        wait = form.service(request, runtime, session).send_sms_code(form.phone)
    except ShebaoError as error:
        settle(session, error)
        return _login_page(request, session, values, error=error)
    notice = f"验证码已发送至 {mask_phone(form.phone.strip())}，{LIFETIME_MINUTES}分钟内有效"
    return _login_page(request, None, {**values, "captcha_id": ""}, notice=notice, resend_after=wait)


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, runtime: RuntimeDep, session: WriteSession, form: Login) -> Response:
    values = form.values()
    missing = {field: "必填项未填写" for field in LOGIN_FIELDS if not values[field].strip()}
    if missing:
        labels = "、".join(LOGIN_FIELDS[field] for field in missing)
        return _login_page(request, None, values, error=ValidationFailed(f"请填写{labels}", fields=missing))
    nonce = secrets.token_urlsafe(32)
    try:
        started = form.service(request, runtime, session).start(
            LoginRequest(
                name=form.name,
                id_type=form.id_type,
                id_number=form.id_number,
                phone=form.phone,
                sms_code=form.sms_code,
                next_path=form.next,
                browser_nonce=nonce,
            )
        )
    except ShebaoError as error:
        settle(session, error)
        return _login_page(request, session, values, error=error)
    response = RedirectResponse(
        f"/login/face?verification_id={started.verification.id}&provider_url="
        f"{quote(started.face.url, safe='')}",
        status_code=303,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=int(VERIFICATION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        path="/login",
        secure=runtime.settings.env not in ("dev", "test"),
    )
    return response


@router.get("/login/face", response_class=HTMLResponse)
def face_page(request: Request, verification_id: str = "", provider_url: str = "") -> HTMLResponse:
    target = local_path(provider_url, default="/login")
    return render(request, "identity/face.html", {"title": "人脸认证", "provider_url": target})


@router.get("/login/face/done", response_class=HTMLResponse)
def face_done(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    verification_id: str = "",
    result_token: str = "",
) -> Response:
    service = LoginService(runtime, session, client_ip=client_ip(request), channel=request_channel(request))
    try:
        _, token, next_path = service.complete(
            verification_id, result_token, kind="cookie", browser_nonce=request.cookies.get(LOGIN_COOKIE)
        )
    except ShebaoError as error:
        settle(session, error)
        return render(
            request,
            "identity/face_failed.html",
            {"title": "人脸认证", "error": error},
            status_code=error.status_code,
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=runtime.settings.env not in ("dev", "test"),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, payer: CurrentPayer, runtime: RuntimeDep, session: WriteSession) -> Response:
    LoginService(runtime, session, client_ip=client_ip(request), channel=payer.channel).logout(payer.login)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _family_page(
    request: Request,
    runtime: RuntimeDep,
    session: DbSession | WriteSession,
    payer: CurrentPayer,
    *,
    error: ShebaoError | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    service = FamilyService(runtime, session, payer.person, channel=payer.channel)
    members = [presenters.family_member(session, row, member) for row, member in service.members()]
    context = {
        "title": "家庭成员",
        "members": members,
        "relations": RELATIONS,
        "id_types": ID_TYPE_LABELS,
        "error": error,
        "values": values or {"id_type": "resident_id"},
        "notice": notice,
    }
    return render(request, "identity/family.html", context, status_code=error.status_code if error else 200)


@router.get("/family", response_class=HTMLResponse)
def family_page(
    request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> HTMLResponse:
    return _family_page(request, runtime, session, payer)


@router.post("/family", response_class=HTMLResponse)
def family_add(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    payer: CurrentPayer,
    name: Text = "",
    id_type: Text = "resident_id",
    id_number: Text = "",
    relation: Text = "",
) -> Response:
    values = {"name": name, "id_type": id_type, "id_number": id_number, "relation": relation}
    try:
        FamilyService(runtime, session, payer.person, channel=payer.channel).add(
            name, id_type, id_number, relation
        )
    except ShebaoError as error:
        settle(session, error)
        return _family_page(request, runtime, session, payer, error=error, values=values)
    return RedirectResponse("/family?added=1", status_code=303)


@router.get("/family/{family_id}/remove", response_class=HTMLResponse)
def family_remove_confirm(
    family_id: FamilyID, request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> HTMLResponse:
    service = FamilyService(runtime, session, payer.person, channel=payer.channel)
    match = [presenters.family_member(session, r, m) for r, m in service.members() if r.id == family_id]
    if not match:
        from shebao.errors import NotFound

        raise NotFound("未找到该家庭成员")
    return render(request, "identity/family_remove.html", {"title": "删除家庭成员", "member": match[0]})


@router.post("/family/{family_id}/remove")
def family_remove(
    family_id: FamilyID, runtime: RuntimeDep, session: WriteSession, payer: CurrentPayer
) -> Response:
    FamilyService(runtime, session, payer.person, channel=payer.channel).remove(family_id)
    return RedirectResponse("/family?removed=1", status_code=303)


@router.get("/consents", response_class=HTMLResponse)
def consents_page(
    request: Request, runtime: RuntimeDep, session: DbSession, payer: CurrentPayer
) -> HTMLResponse:
    rows, _ = ConsentService(runtime, session, payer.person, channel=payer.channel).granted_by_me()
    return render(request, "identity/consents.html", {"title": "授权管理", "rows": rows})


@router.post("/consents/{family_id}")
def consent_change(
    family_id: FamilyID,
    runtime: RuntimeDep,
    session: WriteSession,
    payer: CurrentPayer,
    action: Annotated[str, Form(pattern="^(grant|revoke)$")],
) -> Response:
    service = ConsentService(runtime, session, payer.person, channel=payer.channel)
    service.grant(family_id) if action == "grant" else service.revoke(family_id)
    return RedirectResponse("/consents", status_code=303)


def include(app: FastAPI) -> None:
    app.include_router(router)
