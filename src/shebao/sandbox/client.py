"""The demo's 客户端 switch: act as the H5 page or as one of the mini programs (API.md, Sandboxes).

A mini program tells shebao its client in the X-Shebao-Channel header and, for an in-app payment, the
payer's user id on that platform (Alipay buyer id, WeChat openid), which the mini program gets from its
platform's login. A browser can send neither, so the demo keeps the chosen client in a cookie and gives
each person a fixed sandbox user id per platform; an in-app payment then opens the simulated pay sheet.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shebao.identity.deps import CHANNELS, CLIENT_COOKIE
from shebao.payments.models import CHANNEL_LABELS, METHOD_LABELS
from shebao.payments.registry import OFFERED_BY_CHANNEL
from shebao.web.templating import render
from shebao.web.urls import local_path

router = APIRouter(prefix="/sandbox", include_in_schema=False)

CLIENTS = ("h5", "alipay_mp", "baidu_mp", "wechat_mp")
LABELS = {"h5": "H5网页", **{code: CHANNEL_LABELS[code] for code in CLIENTS[1:]}}


def platform_user_id(person_id: uuid.UUID, channel: str) -> str | None:
    """The person's fixed sandbox user id inside a mini program: an Alipay buyer id (2088 and 12 digits)
    or a WeChat openid; None for clients that pay in the browser."""
    digest = hashlib.sha256(f"{person_id}:{channel}".encode()).hexdigest()
    if channel == "alipay_mp":
        return "2088" + str(int(digest, 16))[:12]
    if channel == "wechat_mp":
        return "o" + digest[:27]
    return None


def mini_program_cashier(payment: Any, base_url: str) -> str | None:
    """Where the simulated mini program's pay sheet (my.tradePay / wx.requestPayment) is, for a payment
    opened in a mini program; None when there is none to show."""
    result = f"/payments/{payment.id}/result"
    if payment.method == "alipay":
        return f"/sandbox/alipay/cashier/{payment.out_trade_no}?back={quote(result, safe='')}"
    if payment.method == "wechat":
        package = str(((payment.pay or {}).get("params") or {}).get("package", ""))
        prepay_id = package.removeprefix("prepay_id=")
        if prepay_id:
            target = quote(base_url.rstrip("/") + result, safe="")
            return f"/sandbox/wechat/checkmweb?prepay_id={quote(prepay_id, safe='')}&redirect_url={target}"
    return None


def client_label(request: Request) -> str:
    value = request.cookies.get(CLIENT_COOKIE, "h5")
    return LABELS.get(value if value in CHANNELS else "h5", LABELS["h5"])


@router.get("/client", response_class=HTMLResponse)
def client_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    current = request.cookies.get(CLIENT_COOKIE, "h5")
    choices = [
        {
            "code": code,
            "label": LABELS[code],
            "methods": "、".join(METHOD_LABELS[m] for m in OFFERED_BY_CHANNEL[code]),
            "current": code == current,
        }
        for code in CLIENTS
    ]
    context = {
        "title": "演示客户端",
        "choices": choices,
        "next": local_path(next),
        "back_href": local_path(next),
    }
    return render(request, "sandbox/client.html", context)


@router.get("/client/{code}")
def choose_client(code: str, next: str = "/") -> RedirectResponse:  # noqa: A002
    response = RedirectResponse(local_path(next), status_code=303)
    if code in CLIENTS and code != "h5":
        response.set_cookie(CLIENT_COOKIE, code, path="/", samesite="lax")
    else:
        response.delete_cookie(CLIENT_COOKIE, path="/")
    return response


def include(app: FastAPI) -> None:
    app.state.client_cookie = True
    app.state.platform_user_id = platform_user_id
    app.state.mini_program_cashier = mini_program_cashier
    app.state.client_label = client_label
    app.include_router(router)
