"""What a payer's login and an operator's login share, their kinds kept apart (decision 0014: their own
tables, cookies and tokens, so neither opens the other's API): an opaque random token stored as its
SHA-256 hash, idle and absolute expiry by the service clock, the touch that slides the idle expiry, and
how a request presents its token (a bearer header, else the session cookie, which needs the CSRF token to
change state through the API).

A login's table has `token_hash`, `created_at`, `last_seen_at`, `idle_expires_at`,
`absolute_expires_at` and `ended_at` (`identity.models.LoginSession`, `console.models.OperatorSession`).
"""

# No `from __future__ import annotations`: FastAPI reads the annotations of `credentials`' dependency, which
# name its own bearer and cookie schemes, as objects.

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, String, bindparam, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from shebao.db import UnitOfWork
from shebao.web.security import SAFE_METHODS, require_csrf_header

# Writing last_seen on every request would make each read a write; a minute of slack is harmless.
TOUCH_EVERY: Final = timedelta(seconds=60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_login(now: datetime, *, idle: timedelta, absolute: timedelta) -> tuple[str, dict[str, Any]]:
    """A new token, and the columns of its login row: its hash and its lifetime from `now`."""
    token = secrets.token_urlsafe(32)
    return token, {
        "token_hash": hash_token(token),
        "created_at": now,
        "last_seen_at": now,
        "idle_expires_at": now + idle,
        "absolute_expires_at": now + absolute,
    }


def live(
    session: Session,
    login: Any,
    owner: Any,
    owned_by: InstrumentedAttribute[Any],
    token: str,
    *,
    now: datetime,
) -> tuple[Any, Any] | None:
    """The token's login row of the table `login`, if live, with its `owner` (one query: every
    authenticated request asks)."""
    found = session.execute(_live_query(login, owner, owned_by), {"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    row, who = found
    if row.ended_at is not None or now >= row.idle_expires_at or now >= row.absolute_expires_at:
        return None
    return row, who


_LIVE_QUERIES: dict[tuple[Any, Any], Select[Any]] = {}


def _live_query(login: Any, owner: Any, owned_by: InstrumentedAttribute[Any]) -> Select[Any]:
    """Built once per kind of login: a statement object keeps its cache key, which SQLAlchemy otherwise
    generates again for every request's new statement."""
    query = _LIVE_QUERIES.get((login, owner))
    if query is None:
        query = _LIVE_QUERIES[login, owner] = (
            select(login, owner)
            .join(owner, owner.id == owned_by)
            .where(login.token_hash == bindparam("token_hash", type_=String()))
        )
    return query


def touch(session: Session, login: Any, row: Any, *, now: datetime, idle: timedelta) -> None:
    """Slide the idle expiry of a live login; skipped when the last touch is recent (see TOUCH_EVERY)."""
    if now - row.last_seen_at < TOUCH_EVERY:
        return
    session.execute(
        update(login)
        .where(login.id == row.id, login.ended_at.is_(None))
        .values(last_seen_at=now, idle_expires_at=now + idle)
    )


def presented(request: Request, cookie: str) -> tuple[str | None, bool]:
    """The token a request presents, and whether it came in the session cookie (`cookie`) rather than as
    `Authorization: Bearer`."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    return request.cookies.get(cookie), True


R = TypeVar("R")
W = TypeVar("W")


def logged_in(
    work: UnitOfWork,
    request: Request,
    cookie: str,
    live: Callable[[Session, str, datetime], tuple[R, W] | None],
    touched: Callable[[Session, R, datetime], None],
) -> tuple[R, W, bool] | None:
    """The live login the request presents (`live`: its row and owner), touched, and whether it came in
    the cookie. Looked up in `work`, the request's unit of work (decision 0016): inside the endpoint's
    step when one is open, else a read step of its own (a touch upgrades the transaction)."""
    token, via_cookie = presented(request, cookie)
    if not token:
        return None
    with work.joined() as step:
        found = live(step.session, token, step.now)
        if found is None:
            return None
        touched(step.session, found[0], step.now)
        return found[0], found[1], via_cookie


def check_csrf(request: Request, *, via_cookie: bool) -> None:
    """A state-changing API call authenticated by the session cookie carries the CSRF token (API.md)."""
    if via_cookie and request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
        require_csrf_header(request)


def credentials(
    *, cookie: str, scheme: str, bearer_says: str, cookie_says: str
) -> Callable[..., Awaitable[None]]:
    """How a login is proven, as the OpenAPI document shows it: `{scheme}Token` (the bearer token) or
    `{scheme}SessionCookie` (`cookie`), either one. A dependency that checks nothing (the checks are
    `presented` and `check_csrf`)."""
    bearer = HTTPBearer(auto_error=False, scheme_name=f"{scheme}Token", description=bearer_says)
    session_cookie = APIKeyCookie(
        name=cookie, auto_error=False, scheme_name=f"{scheme}SessionCookie", description=cookie_says
    )

    # `async`: a plain `def` dependency costs a hand-off to the thread pool and back on every request.
    async def shown(
        _token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
        _cookie: Annotated[str | None, Depends(session_cookie)] = None,
    ) -> None:
        return None

    return shown
