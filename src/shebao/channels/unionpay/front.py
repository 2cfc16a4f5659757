"""`GET /pay/unionpay/front?<signed form>`: the page that posts UnionPay's signed front form to the
gateway (UnionPay takes a browser POST, not a redirect). A small script submits it at once; without
JavaScript the payer taps 前往银联支付.

Like Alipay's redirect URL, the link carries the signed order: the page adds nothing and decides
nothing, and the gateway verifies the signature. Only UnionPay's front-form fields are passed on.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from shebao.channels.unionpay import adapter, fields, keys
from shebao.deps import RuntimeDep
from shebao.errors import BadRequest, NotFound
from shebao.web.templating import render

router = APIRouter(include_in_schema=False)

FRONT_FIELDS = frozenset(
    (
        "version encoding signMethod certId accessType merId txnType txnSubType bizType channelType "
        "orderId txnTime txnAmt currencyCode frontUrl backUrl payTimeout frontFailUrl reqReserved "
        "riskRateInfo signature"
    ).split()
)


@router.get(adapter.FRONT_PAGE_PATH, response_class=HTMLResponse)
def front(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    if not runtime.settings.unionpay_enabled:
        raise NotFound("银联支付未开通")
    pairs = list(request.query_params.multi_items())
    form = dict(pairs)
    if len(form) != len(pairs) or not set(form) <= FRONT_FIELDS or not form.get("signature"):
        raise BadRequest("支付链接不完整或已被修改，请返回重新选择支付方式")
    try:
        amount_fen = fields.fen(form.get("txnAmt", ""))
    except ValueError as exc:
        raise BadRequest("支付链接不完整或已被修改，请返回重新选择支付方式") from exc
    context = {
        "title": "银联支付",
        "action": keys.gateway(runtime.settings) + keys.FRONT_PATH,
        "form": sorted(form.items()),
        "amount_fen": amount_fen,
        "back_href": "/declarations",
    }
    return render(request, "payments/unionpay_front.html", context)


def include(app: FastAPI) -> None:
    app.include_router(router)
