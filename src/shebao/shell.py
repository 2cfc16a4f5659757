"""The shell's own pages: 北京通 home, 我的, 设置, the function menus, 即将开放, errors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shebao.errors import NotFound, NotLoggedIn
from shebao.identity.deps import optional_principal
from shebao.web.menu import ALL_FUNCTIONS, CERTIFICATE_FUNCTIONS, FEE_FUNCTIONS
from shebao.web.security import csrf_protect
from shebao.web.templating import DISPLAY_COOKIE, ELDER, render
from shebao.web.urls import local_path

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect), Depends(optional_principal)])


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "shell/home.html", {"tab": "home"})


@router.get("/mine", response_class=HTMLResponse)
def mine(request: Request) -> HTMLResponse:
    return render(request, "shell/mine.html", {"tab": "mine"})


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request) -> HTMLResponse:
    return render(request, "shell/settings.html", {"title": "设置"})


@router.get("/display")
def display(request: Request, mode: str = "", next: str = "/") -> RedirectResponse:  # noqa: A002
    """长辈模式 on or off, remembered for a year; back to the page the switch was on."""
    response = RedirectResponse(local_path(next), status_code=303)
    secure = request.app.state.runtime.settings.env not in ("dev", "test")
    if mode == ELDER:
        response.set_cookie(
            DISPLAY_COOKIE, ELDER, max_age=365 * 24 * 3600, path="/", samesite="lax", secure=secure
        )
    else:
        response.delete_cookie(DISPLAY_COOKIE, path="/")
    return response


@router.get("/fees", response_class=HTMLResponse)
def fee_menu(request: Request) -> HTMLResponse:
    return render(request, "shell/menu.html", {"title": "社保费办理", "functions": FEE_FUNCTIONS})


@router.get("/certificates-menu", response_class=HTMLResponse)
def certificate_menu(request: Request) -> HTMLResponse:
    return render(request, "shell/menu.html", {"title": "社保缴费证明", "functions": CERTIFICATE_FUNCTIONS})


@router.get("/soon/{slug}", response_class=HTMLResponse)
def coming_soon(request: Request, slug: str) -> HTMLResponse:
    function = ALL_FUNCTIONS.get(slug)
    if function is None:
        raise NotFound("页面不存在或已下线")
    if not function.public and optional_principal(request) is None:
        raise NotLoggedIn()
    return render(request, "shell/soon.html", {"title": function.title, "function": function})


def include(app: FastAPI) -> None:
    app.include_router(router)
