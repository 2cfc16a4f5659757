"""`/api/v1/console/login`, `/password`, `/logout`, `/me`: the console's authentication (API.md)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request

from shebao.console import schemas
from shebao.console.deps import AnyStaff, Login
from shebao.console.service import ConsoleLogin
from shebao.deps import DbSession, RuntimeDep, WriteSession
from shebao.reference.models import TaxOffice
from shebao.web.clients import address_bucket, client_address
from shebao.web.openapi import errors

router = APIRouter(prefix="/api/v1/console", tags=["console"])

_LOGIN_ERRORS = errors(
    s401="用户名、密码或动态口令不正确（不区分哪一项；动态口令每个只能用一次）",
    s403="该账号已停用",
    s429="登录失败次数过多，账号或地址已暂时锁定（Retry-After 给出秒数）",
)
_AUTHED = errors(
    s401="未登录、登录已过期（30分钟无操作）或已退出",
    s403="角色无权办理，或尚未修改初始密码",
)


def _rules(runtime: RuntimeDep, session: WriteSession, request: Request) -> ConsoleLogin:
    address = address_bucket(client_address(request))
    return ConsoleLogin(session, now=runtime.clock.now(), client_address=address)


@router.post(
    "/login",
    response_model=schemas.LoginOut,
    summary="控制台登录：用户名 + 密码 + 动态口令",
    responses=_LOGIN_ERRORS,
)
def login(
    body: schemas.LoginIn, runtime: RuntimeDep, session: WriteSession, request: Request
) -> schemas.LoginOut:
    done = _rules(runtime, session, request).login(body.username, body.password, body.totp, kind="bearer")
    return schemas.LoginOut(
        access_token=done.token,
        password_change_required=done.operator.password_change_required,
        expires_at=done.login.idle_expires_at,
    )


@router.post(
    "/password",
    response_model=schemas.PasswordChanged,
    summary="修改密码（首次登录须先修改初始密码）",
    responses=errors(s401=_AUTHED[401]["description"], s403="页面已过期（Cookie 请求缺少 CSRF 令牌）"),
)
def change_password(
    body: schemas.PasswordIn, login: Login, runtime: RuntimeDep, session: WriteSession, request: Request
) -> schemas.PasswordChanged:
    _rules(runtime, session, request).change_password(login.staff, login.login.id, body.new_password)
    return schemas.PasswordChanged()


@router.post(
    "/logout", response_model=schemas.LoggedOut, summary="退出控制台（服务端结束会话）", responses=_AUTHED
)
def logout(login: Login, runtime: RuntimeDep, session: WriteSession, request: Request) -> schemas.LoggedOut:
    _rules(runtime, session, request).logout(login.staff, login.login)
    return schemas.LoggedOut()


@router.get("/me", response_model=schemas.StaffOut, summary="当前登录的操作员", responses=_AUTHED)
def me(staff: AnyStaff, session: DbSession) -> schemas.StaffOut:
    return staff_out(session, staff)


def staff_out(session: DbSession, staff: AnyStaff) -> schemas.StaffOut:
    office = session.get(TaxOffice, staff.tax_office_code) if staff.tax_office_code else None
    return schemas.StaffOut(
        id=staff.id,
        username=staff.username,
        role=staff.role.value,
        role_label=staff.role.label,
        tax_office_code=staff.tax_office_code,
        tax_office_name=office.name if office else None,
    )


def include(app: FastAPI) -> None:
    app.include_router(router)
