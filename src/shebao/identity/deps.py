"""Who is calling: `CurrentPayer` for endpoints and pages that need a logged-in payer.

API clients send `Authorization: Bearer <token>`; the H5 pages carry the session cookie. A
state-changing request authenticated by the cookie must carry the CSRF token (API.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from shebao.deps import request_work
from shebao.errors import NotLoggedIn
from shebao.identity.models import LoginSession, Person
from shebao.identity.sessions import live_session, touch
from shebao.runtime import Runtime
from shebao.web import logins

SESSION_COOKIE = "shebao_session"
CHANNELS = ("alipay_mp", "baidu_mp", "wechat_mp", "h5")


@dataclass(frozen=True)
class Principal:
    person: Person
    login: LoginSession
    via_cookie: bool
    channel: str

    @property
    def person_id(self):  # type: ignore[no-untyped-def]
        return self.person.id


# Outside production the demo may act as a mini program: its 客户端 switch remembers the client here.
CLIENT_COOKIE = "shebao_client"


def request_channel(request: Request) -> str:
    value = request.headers.get("x-shebao-channel", "")
    if not value and getattr(request.app.state, "client_cookie", False):
        value = request.cookies.get(CLIENT_COOKIE, "")
    value = (value or "h5").strip().lower()
    return value if value in CHANNELS else "h5"


def optional_principal(request: Request) -> Principal | None:
    """The logged-in payer, or None; also remembered on request.state for the page templates."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    runtime: Runtime = request.app.state.runtime
    idle = timedelta(minutes=runtime.settings.session_idle_minutes)
    live = logins.logged_in(
        request_work(request),
        request,
        SESSION_COOKIE,
        live_session,
        lambda session, row, now: touch(session, row, now=now, idle=idle),
    )
    # A session outlives no person: without one, logged out.
    principal = Principal(live[1], live[0], live[2], request_channel(request)) if live else None
    request.state.principal = principal
    request.state.payer = principal.person if principal else None
    return principal


# How a payer proves the login, as the OpenAPI document shows it (either one; the checks are above).
_credentials = logins.credentials(
    cookie=SESSION_COOKIE,
    scheme="Payer",
    bearer_says="缴费人登录凭证：POST /api/v1/auth/face/complete 返回的 access_token",
    cookie_says="H5 页面的登录 Cookie（值与 access_token 相同）；改变状态的请求另需 CSRF 令牌",
)


def current_principal(request: Request, _proven: Annotated[None, Depends(_credentials)] = None) -> Principal:
    principal = optional_principal(request)
    if principal is None:
        raise NotLoggedIn()
    logins.check_csrf(request, via_cookie=principal.via_cookie)
    return principal


CurrentPayer = Annotated[Principal, Depends(current_principal)]
MaybePayer = Annotated[Principal | None, Depends(optional_principal)]
