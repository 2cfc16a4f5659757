"""Who is calling: `CurrentPayer` for endpoints and pages that need a logged-in payer.

API clients send `Authorization: Bearer <token>`; the H5 pages carry the session cookie. A
state-changing request authenticated by the cookie must carry the CSRF token (API.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from shebao.deps import request_work
from shebao.errors import NotLoggedIn
from shebao.identity.models import LoginSession, Person
from shebao.identity.sessions import live_session, touch
from shebao.runtime import Runtime
from shebao.web.security import SAFE_METHODS, require_csrf_header

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


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    return request.cookies.get(SESSION_COOKIE), True


def optional_principal(request: Request) -> Principal | None:
    """The logged-in payer, or None; also remembered on request.state for the page templates."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    runtime: Runtime = request.app.state.runtime
    token, via_cookie = _token(request)
    principal: Principal | None = None
    if token:
        idle = timedelta(minutes=runtime.settings.session_idle_minutes)
        # The request's unit of work: inside the endpoint's step when one is open, else a read step of
        # its own (most requests only read the login; a touch upgrades the transaction).
        with request_work(request).joined() as step:
            session, now = step.session, step.now
            found = live_session(session, token, now=now)
            if found is not None:  # a session outlives no person: else logged out
                login, person = found
                touch(session, login, now=now, idle=idle)
                principal = Principal(person, login, via_cookie, request_channel(request))
    request.state.principal = principal
    request.state.payer = principal.person if principal else None
    return principal


# How a payer proves the login, as the OpenAPI document shows it (either one; the checks are above).
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PayerToken",
    description="缴费人登录凭证：POST /api/v1/auth/face/complete 返回的 access_token",
)
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="PayerSessionCookie",
    description="H5 页面的登录 Cookie（值与 access_token 相同）；改变状态的请求另需 CSRF 令牌",
)


def current_principal(
    request: Request,
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    _cookie: Annotated[str | None, Depends(_session_cookie)] = None,
) -> Principal:
    principal = optional_principal(request)
    if principal is None:
        raise NotLoggedIn()
    if principal.via_cookie and request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
        require_csrf_header(request)
    return principal


CurrentPayer = Annotated[Principal, Depends(current_principal)]
MaybePayer = Annotated[Principal | None, Depends(optional_principal)]
