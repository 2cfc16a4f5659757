"""Who is working in the console: `AnyStaff`, `OperatorStaff`, `ApproverStaff`, `AdminStaff`.

The JSON API under /api/v1/console/ takes the console bearer token; the pages under /console/ carry the
console session cookie (HttpOnly, SameSite=Strict; a state-changing call with it needs the CSRF token).
Not logged in → 401 (a page goes to /console/login); a lower role, or the one-time password not yet
replaced → 403. Another tax office's object is the endpoint's own 404 (`Staff.sees_office`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from shebao.console.errors import ConsoleNotLoggedIn, Forbidden, PasswordChangeRequired
from shebao.console.models import Operator, OperatorSession
from shebao.console.service import staff_of
from shebao.console.sessions import live_session, touch
from shebao.console.staff import Role, Staff
from shebao.deps import request_work
from shebao.web.security import SAFE_METHODS, require_csrf_header

CONSOLE_COOKIE = "shebao_console"
CONSOLE_PATH = "/console"


@dataclass(frozen=True)
class ConsoleLogin:
    staff: Staff
    operator: Operator
    login: OperatorSession
    via_cookie: bool


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    return request.cookies.get(CONSOLE_COOKIE), True


def optional_login(request: Request) -> ConsoleLogin | None:
    """The logged-in operator, or None; remembered on request.state (the templates show it)."""
    if hasattr(request.state, "console_login"):
        cached: ConsoleLogin | None = request.state.console_login
        return cached
    token, via_cookie = _token(request)
    found: ConsoleLogin | None = None
    if token:
        with request_work(request).joined() as step:  # the request's unit of work (decision 0016)
            live = live_session(step.session, token, now=step.now)
            if live is not None:
                row, operator = live
                touch(step.session, row, now=step.now)
                found = ConsoleLogin(staff_of(operator), operator, row, via_cookie)
    request.state.console_login = found
    request.state.staff = found.staff if found else None
    return found


# How an operator proves the login, as the OpenAPI document shows it (either one; the checks are above).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ConsoleToken",
    description="税务所控制台登录凭证：POST /api/v1/console/login 返回的 access_token",
)
_cookie = APIKeyCookie(
    name=CONSOLE_COOKIE,
    auto_error=False,
    scheme_name="ConsoleSessionCookie",
    description="控制台页面的登录 Cookie；改变状态的请求另需 CSRF 令牌",
)


def console_login(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    _session_cookie: Annotated[str | None, Depends(_cookie)] = None,
) -> ConsoleLogin:
    """A live console login, the one-time password replaced or not (only the password change needs this)."""
    found = optional_login(request)
    if found is None:
        raise ConsoleNotLoggedIn()
    if found.via_cookie and request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
        require_csrf_header(request)
    return found


Login = Annotated[ConsoleLogin, Depends(console_login)]


def _requiring(role: Role) -> Callable[[ConsoleLogin], Staff]:
    def staff(login: Login) -> Staff:
        if login.operator.password_change_required:
            raise PasswordChangeRequired()
        if not login.staff.at_least(role):
            raise Forbidden()
        return login.staff

    staff.__name__ = f"staff_{role.value}"
    return staff


AnyStaff = Annotated[Staff, Depends(_requiring(Role.VIEWER))]
OperatorStaff = Annotated[Staff, Depends(_requiring(Role.OPERATOR))]
ApproverStaff = Annotated[Staff, Depends(_requiring(Role.APPROVER))]
AdminStaff = Annotated[Staff, Depends(_requiring(Role.ADMIN))]
