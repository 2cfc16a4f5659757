"""Jinja2 environment shared by every domain's pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shebao import __version__
from shebao.kit.clock import format_local
from shebao.kit.money import format_yuan
from shebao.web.forms import form_errors, period_span

# 长辈模式 (UI.md): remembered in this cookie; a mini program's web view may set it too.
DISPLAY_COOKIE = "shebao_display"
ELDER = "elder"

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters["yuan"] = format_yuan
templates.env.filters["local"] = format_local
templates.env.filters["period"] = period_span
templates.env.globals["form_errors"] = form_errors


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    runtime = request.app.state.runtime
    values: dict[str, Any] = {
        "csrf_token": request.state.csrf_token if hasattr(request.state, "csrf_token") else "",
        "rehearsal_now": None if runtime.settings.is_production else runtime.clock.now(),
        "current_payer": getattr(request.state, "payer", None),
        "elder": is_elder(request),
        "here": here(request),
        "version": __version__,
        "client_label": _client_label(request),
    }
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code)


def is_elder(request: Request) -> bool:
    return request.cookies.get(DISPLAY_COOKIE) == ELDER


def here(request: Request) -> str:
    """This page's path and query: where the display switch comes back to (GET pages only)."""
    if request.method != "GET":
        return request.headers.get("referer", "").partition(str(request.base_url).rstrip("/"))[2] or "/"
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _client_label(request: Request) -> str | None:
    """The demo's chosen client (the sandbox registers the hook); None outside the demo."""
    label = getattr(request.app.state, "client_label", None)
    return label(request) if label else None
