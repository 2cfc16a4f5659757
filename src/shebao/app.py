"""The FastAPI application: JSON API under /api/v1, H5 pages, sandboxes outside production."""

from __future__ import annotations

import asyncio
import math
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

import shebao.registrations  # noqa: F401 - what registers with the layers below, before any runtime
from shebao import __version__
from shebao.config import Settings, get_settings
from shebao.console.errors import PasswordChangeRequired
from shebao.errors import NotFound, NotLoggedIn, RateLimited, ShebaoError, ValidationFailed
from shebao.kit import http, wakeups
from shebao.logging import configure_logging, log
from shebao.runtime import Runtime
from shebao.web import openapi
from shebao.web.security import MIB, BodyLimitMiddleware, SecurityMiddleware, body_limit_message
from shebao.web.templating import STATIC_DIR, render
from shebao.web.validation import validation_failed

# A database that is busy (every connection in use, or gone for a moment) answers 503 with this Retry-After.
RETRY_AFTER_SECONDS = 2
# Request bodies: imports may be large, everything else (forms, JSON, notifications) is small.
BODY_LIMIT = 64 * 1024
BODY_LIMITS = (
    ("/api/v1/agency/", 20 * MIB),
    ("/api/v1/taxcore/", 20 * MIB),
    ("/api/v1/console/imports", 20 * MIB),  # the console's upload of the same files
    ("/console/imports", 20 * MIB),
    ("/sandbox/bank/batches", 1024 * MIB),  # a batch deduction file: about 150 bytes an item
)

_FIELD_LABELS = {"body": "请求内容", "query": "查询条件", "path": "地址", "header": "请求头"}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/sandbox/", "/health")) or "application/json" in request.headers.get(
        "accept", ""
    )


def _error_response(request: Request, error: ShebaoError) -> Response:
    response = _error_answer(request, error)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after.total_seconds())))
    return response


def _error_answer(request: Request, error: ShebaoError) -> Response:
    if _wants_json(request):
        return JSONResponse(error.to_json(), status_code=error.status_code)
    console = request.url.path.startswith("/console")
    if isinstance(error, NotLoggedIn) and request.method == "GET":
        # A page that needs a login: go and log in (an operator at the console's own), then come back here.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = "/console/login" if console else "/login"
        return RedirectResponse(f"{login}?next={quote(target, safe='')}", status_code=303)
    if isinstance(error, PasswordChangeRequired) and request.method == "GET":
        return RedirectResponse("/console/password", status_code=303)
    page = "console/error.html" if console else "shell/error.html"
    return render(request, page, {"error": error}, status_code=error.status_code)


class BodyTooLarge(ShebaoError):
    status_code = 413
    code = "body_too_large"
    message = "请求内容过大，请减少内容后重试"


class MethodNotAllowed(ShebaoError):
    status_code = 405
    code = "method_not_allowed"
    message = "不支持该请求方式"


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (RFC 9110: a 405 carries `Allow`)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _allow_header(exc: StarletteHTTPException) -> list[str]:
    given = (exc.headers or {}).get("Allow", "")
    return [method.strip() for method in given.split(",") if method.strip()]


async def _refuse_body(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = _error_response(Request(scope, receive), BodyTooLarge(body_limit_message(limit)))
    response.headers["connection"] = "close"  # the unread body is not worth waiting for
    await response(scope, receive, send)


def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    return _error_response(request, validation_failed(exc))


def _busy(request: Request) -> Response:
    error = ShebaoError("系统繁忙，请稍后再试")
    error.status_code = 503  # type: ignore[misc]
    response = _error_response(request, error)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ShebaoError)
    async def _shebao_error(request: Request, exc: ShebaoError) -> Response:
        if exc.status_code >= 500:
            log.error("broken_invariant", path=request.url.path, code=exc.code, error=exc.detail)
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        return _validation_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error_response(request, NotFound("页面不存在或已下线"))
        if exc.status_code == 400:
            # FastAPI or Starlette could not read the body as the declared JSON or form ("There was an
            # error parsing the body", "Missing boundary in multipart."): the client's input.
            return _error_response(request, ValidationFailed("请求内容格式不正确：应为有效的 JSON 或表单"))
        if exc.status_code == 413:
            return _error_response(request, BodyTooLarge(str(exc.detail)))
        if exc.status_code == 405:
            response = _error_response(request, MethodNotAllowed())
            response.headers["Allow"] = ", ".join(_allowed_methods(request) or _allow_header(exc))
            return response
        said = exc.detail if isinstance(exc.detail, str) and CHINESE.search(exc.detail) else "请求有误"
        generic = ShebaoError(said)  # never a library's English sentence to a citizen
        generic.status_code = exc.status_code  # type: ignore[misc]
        return _error_response(request, generic)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # A unique constraint lost a race: the state changed under the request; nothing was written.
        log.warning("integrity_conflict", path=request.url.path, error=str(exc.orig)[:200])
        from shebao.errors import Conflict

        return _error_response(request, Conflict("数据已发生变化，请刷新后重试"))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (PostgreSQL refuses NUL in text, numbers out of range) that
        # validation let through: the client's input, so a 422; the transaction was rolled back.
        log.warning("data_refused_by_database", path=request.url.path, error=str(exc.orig)[:200])
        return _error_response(request, ValidationFailed("填写的信息有误：含有不能保存的字符或数值"))

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        log.error("database_unavailable", path=request.url.path, error=str(exc.orig)[:200])
        return _busy(request)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, exc: PoolTimeout) -> Response:
        # Every database connection of this process is in use: a moment later there will be one.
        log.warning("database_pool_exhausted", path=request.url.path)
        return _busy(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected_error", path=request.url.path)
        error = ShebaoError("系统异常，请稍后再试")
        error.status_code = 500  # type: ignore[misc]
        return _error_response(request, error)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    wakeups.board.listen()  # other processes' commits wake this one's waiting requests (with Redis)
    yield
    http.close()  # the pooled provider connections of this process


def warm(app: FastAPI) -> None:
    """Pass one request that matches no route through the app before it serves: FastAPI builds an
    included router's routes (their dependencies, their models' validators) when the first request
    passes them, about a second of CPU that would otherwise fall on the first payers' requests."""
    path = "/_warm-up"
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        return None

    # uvicorn's multi-process workers import the app inside their running event loop, where
    # asyncio.run refuses to start a second one: the warm-up gets a loop of its own in a thread.
    thread = threading.Thread(target=asyncio.run, args=(app(scope, receive, send),), name="warm-up")
    thread.start()
    thread.join()


CHINESE = re.compile(r"[\u4e00-\u9fff]")


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())
    configure_logging(json=settings.log_json)
    runtime = runtime or Runtime.build(settings)
    app = FastAPI(
        lifespan=_lifespan,
        title="shebao 自然人社保费系统",
        version=__version__,
        description="城乡居民医疗、城乡居民养老、灵活就业人员社保费的申报、缴款、记录查询与缴费证明。",
    )
    app.state.runtime = runtime
    app.add_middleware(BodyLimitMiddleware, default=BODY_LIMIT, limits=BODY_LIMITS, refuse=_refuse_body)
    app.add_middleware(SecurityMiddleware, secure_cookies=settings.env != "dev" and settings.env != "test")
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for include in _routers(settings):
        include(app)
    openapi.install(app)
    return app


def _routers(settings: Settings) -> list[Callable[[FastAPI], None]]:
    from shebao.agency.endpoints import include as enrolment
    from shebao.agreements.endpoints import include as agreements_api
    from shebao.agreements.pages import include as agreements_pages
    from shebao.certificates.endpoints import include as certificates_api
    from shebao.certificates.pages import include as certificates_pages
    from shebao.console.audit import include as console_audit
    from shebao.console.auth import include as console_auth
    from shebao.console.batches import include as console_batches
    from shebao.console.dashboards import include as dashboards
    from shebao.console.imports import include as console_imports
    from shebao.console.pages import include as console_pages
    from shebao.console.payers import include as console_payers
    from shebao.console.payers_pages import include as console_payer_pages
    from shebao.console.policies import include as console_policies
    from shebao.console.reconciliation import include as console_reconciliation
    from shebao.console.refunds import include as console_refunds
    from shebao.declarations.endpoints import include as declarations_api
    from shebao.declarations.pages import include as declarations_pages
    from shebao.deductions.endpoints import include as deductions_api
    from shebao.deductions.pages import include as deductions_pages
    from shebao.elsewhere.endpoints import include as elsewhere
    from shebao.identity.endpoints import include as identity_api
    from shebao.identity.pages import include as identity_pages
    from shebao.payables.endpoints import include as payables
    from shebao.records.endpoints import include as records_api
    from shebao.records.pages import include as records_pages
    from shebao.reference.endpoints import include as reference
    from shebao.refunds.endpoints import include as refund_callbacks
    from shebao.service_endpoints import include as service
    from shebao.settlement.endpoints import include as payments_api
    from shebao.settlement.pages import include as payments_pages
    from shebao.shell import include as shell

    routers: list[Callable[[FastAPI], None]] = [
        service,
        reference,
        identity_api,
        identity_pages,
        enrolment,
        payables,
        declarations_api,
        declarations_pages,
        payments_api,
        payments_pages,
        refund_callbacks,
        records_api,
        records_pages,
        elsewhere,
        agreements_api,
        agreements_pages,
        deductions_api,
        deductions_pages,
        certificates_api,
        certificates_pages,
        console_auth,
        console_pages,
        dashboards,
        console_payers,
        console_payer_pages,
        console_audit,
        console_reconciliation,
        console_batches,
        console_imports,
        console_policies,
        console_refunds,
        shell,
    ]
    if settings.sandboxes_enabled:
        from shebao.sandbox.endpoints import include as sandbox

        routers.append(sandbox)
    return routers
