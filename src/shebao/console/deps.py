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

from shebao.console.errors import ConsoleNotLoggedIn, Forbidden, PasswordChangeRequired
from shebao.console.models import Operator, OperatorSession
from shebao.console.service import staff_of
from shebao.console.sessions import live_session, touch
from shebao.console.staff import Role, Staff
from shebao.deps import request_work
from shebao.web import logins

CONSOLE_COOKIE = "shebao_console"
CONSOLE_PATH = "/console"


@dataclass(frozen=True)
class ConsoleLogin:
    staff: Staff
    operator: Operator
    login: OperatorSession
    via_cookie: bool


def optional_login(request: Request) -> ConsoleLogin | None:
    """The logged-in operator, or None; remembered on request.state (the templates show it)."""
    if hasattr(request.state, "console_login"):
        cached: ConsoleLogin | None = request.state.console_login
        return cached
    live = logins.logged_in(request_work(request), request, CONSOLE_COOKIE, live_session, touch)
    found = ConsoleLogin(staff_of(live[1]), live[1], live[0], live[2]) if live else None
    request.state.console_login = found
    request.state.staff = found.staff if found else None
    return found


# How an operator proves the login, as the OpenAPI document shows it (either one; the checks are above).
_credentials = logins.credentials(
    cookie=CONSOLE_COOKIE,
    scheme="Console",
    bearer_says="税务所控制台登录凭证：POST /api/v1/console/login 返回的 access_token",
    cookie_says="控制台页面的登录 Cookie；改变状态的请求另需 CSRF 令牌",
)


def console_login(request: Request, _proven: Annotated[None, Depends(_credentials)] = None) -> ConsoleLogin:
    """A live console login, the one-time password replaced or not (only the password change needs this)."""
    found = optional_login(request)
    if found is None:
        raise ConsoleNotLoggedIn()
    logins.check_csrf(request, via_cookie=found.via_cookie)
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
