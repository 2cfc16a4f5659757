"""The console's own pages: 登录 (/console/login), 首次登录 (/console/password: the new password and the
TOTP enrolment's QR code), 首页 (/console), 退出. The session cookie is HttpOnly and SameSite=Strict."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from shebao.console import credentials
from shebao.console.auth import staff_out
from shebao.console.deps import CONSOLE_COOKIE, CONSOLE_PATH, AnyStaff, Login, optional_login
from shebao.console.service import ConsoleLogin
from shebao.deps import DbSession, RuntimeDep, WriteSession, settle
from shebao.errors import ShebaoError, ValidationFailed
from shebao.web.clients import address_bucket, client_address
from shebao.web.security import csrf_protect
from shebao.web.templating import render
from shebao.web.urls import local_path

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

Text = Annotated[str, Form(max_length=256)]
# The console's sections (the shared navigation of console/base.html shows the same list).
SECTIONS = (
    ("缴费人查询", "/console/payers", "按证件号码查询缴费人的参保、申报、缴费与凭证"),
    ("退费审核", "/console/refunds", "重复缴费的退费：经办提出、审核通过后原路退回"),
    ("对账", "/console/reconciliation", "对账批次与差异处理"),
    ("批扣", "/console/batches", "批量扣款的运行、进度与报告"),
    ("导入", "/console/imports", "参保数据与他处缴费数据的导入报告"),
    ("政策参数", "/console/policies", "缴费基数、费率与来源"),
    ("统计", "/console/dashboards", "按日、险种、区、渠道的征收统计"),
    ("审计日志", "/console/audit", "控制台操作与状态变更的审计记录"),
)


def _rules(request: Request, runtime: RuntimeDep, session: WriteSession) -> ConsoleLogin:
    address = address_bucket(client_address(request))
    return ConsoleLogin(session, now=runtime.clock.now(), client_address=address)


def _next(raw: str) -> str:
    """Only a console page to go back to after the login (never another site, never a payer's page)."""
    target = local_path(raw or CONSOLE_PATH)
    return target if target == CONSOLE_PATH or target.startswith(CONSOLE_PATH + "/") else CONSOLE_PATH


@router.get("/console/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = CONSOLE_PATH) -> Response:  # noqa: A002
    found = optional_login(request)
    if found is not None:
        return RedirectResponse(_next(next), status_code=303)
    return _login_form(request, {"next": _next(next)})


def _login_form(request: Request, values: dict[str, str], error: ShebaoError | None = None) -> HTMLResponse:
    context = {"title": "登录", "values": values, "error": error}
    return render(request, "console/login.html", context, status_code=error.status_code if error else 200)


@router.post("/console/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSession,
    username: Text = "",
    password: Text = "",
    totp: Text = "",
    next: Text = CONSOLE_PATH,  # noqa: A002
) -> Response:
    values = {"username": username, "next": _next(next)}
    labels = {"username": "用户名", "password": "密码", "totp": "动态口令"}
    given = {"username": username, "password": password, "totp": totp}
    missing = {name: f"请填写{labels[name]}" for name, value in given.items() if not value.strip()}
    if missing:
        error = ValidationFailed("请填写" + "、".join(labels[name] for name in missing), fields=missing)
        return _login_form(request, values, error)
    try:
        done = _rules(request, runtime, session).login(username, password, totp, kind="cookie")
    except ShebaoError as error:
        settle(session, error)
        return _login_form(request, values, error)
    target = "/console/password" if done.operator.password_change_required else values["next"]
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        CONSOLE_COOKIE,
        done.token,
        httponly=True,
        samesite="strict",
        path="/",  # the console pages and their scripts' calls to /api/v1/console/
        secure=runtime.settings.env not in ("dev", "test"),
    )
    return response


@router.get("/console/password", response_class=HTMLResponse)
def password_page(request: Request, login: Login) -> HTMLResponse:
    return _password_form(request, login)


def _password_form(request: Request, login: Login, error: ShebaoError | None = None) -> HTMLResponse:
    operator = login.operator
    enrolment = None
    if operator.password_change_required:  # the TOTP secret is shown only until the first password change
        uri = credentials.provisioning_uri(operator.totp_secret, operator.username)
        svg = segno.make(uri, error="m").svg_inline(scale=4, title="动态口令绑定二维码")
        secret = operator.totp_secret
        key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))  # read and typed in fours
        qr = Markup(svg)  # noqa: S704 - segno's own SVG of our URI
        enrolment = {"uri": uri, "qr": qr, "account": operator.username, "key": key}
    context = {
        "title": "首次登录：修改密码" if operator.password_change_required else "修改密码",
        "first": operator.password_change_required,
        "enrolment": enrolment,
        "error": error,
        "staff": login.staff,
    }
    return render(request, "console/password.html", context, status_code=error.status_code if error else 200)


@router.post("/console/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    login: Login,
    runtime: RuntimeDep,
    session: WriteSession,
    new_password: Text = "",
    confirm_password: Text = "",
) -> Response:
    try:
        if new_password != confirm_password:
            message = "两次输入的新密码不一致"
            raise ValidationFailed(message, fields={"confirm_password": message})
        _rules(request, runtime, session).change_password(login.staff, login.login.id, new_password)
    except ShebaoError as error:
        settle(session, error)
        return _password_form(request, login, error)
    return RedirectResponse(CONSOLE_PATH, status_code=303)


@router.post("/console/logout")
def logout(request: Request, login: Login, runtime: RuntimeDep, session: WriteSession) -> Response:
    _rules(request, runtime, session).logout(login.staff, login.login)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(CONSOLE_COOKIE, path="/")
    return response


@router.get("/console", response_class=HTMLResponse)
def home(request: Request, staff: AnyStaff, session: DbSession) -> HTMLResponse:
    context = {"title": "首页", "me": staff_out(session, staff), "sections": SECTIONS}
    return render(request, "console/home.html", context)


def include(app: FastAPI) -> None:
    app.include_router(router)
