"""Jinja2 environment shared by every domain's pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shebao.kit.clock import format_local
from shebao.kit.money import format_yuan

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters["yuan"] = format_yuan
templates.env.filters["local"] = format_local


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    runtime = request.app.state.runtime
    values: dict[str, Any] = {
        "csrf_token": request.state.csrf_token if hasattr(request.state, "csrf_token") else "",
        "rehearsal_now": None if runtime.settings.is_production else runtime.clock.now(),
        "current_payer": getattr(request.state, "payer", None),
    }
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status_code)
