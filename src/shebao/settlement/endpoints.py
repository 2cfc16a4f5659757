"""The settlement core's API: declaring and voiding (`/api/v1/declarations`), `/api/v1/payment-methods`,
`/api/v1/payments`, and the providers' notification callbacks. Thin: each calls one settlement function."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from shebao.db import UnitOfWork
from shebao.declarations import presenters as declaration_presenters
from shebao.declarations import schemas as declaration_schemas
from shebao.deps import RuntimeDep, Work, WriteSession
from shebao.identity.access import Viewer, insured_for
from shebao.identity.deps import CurrentPayer, Principal
from shebao.kit import wakeups
from shebao.kit.params import DeclarationID, PaymentID
from shebao.payments import presenters, schemas
from shebao.payments.errors import PaymentNotFound
from shebao.payments.models import CREATED, METHOD_LABELS, PENDING, UNKNOWN
from shebao.payments.registry import methods_for
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from shebao.settlement import notify
from shebao.settlement.declaration import void_declaration
from shebao.settlement.declare import Declarer
from shebao.settlement.open import PaymentOpener, PaymentRequest
from shebao.settlement.settle import outcome_key

router = APIRouter(prefix="/api/v1", tags=["payments"])
declarations = APIRouter(prefix="/api/v1/declarations", tags=["declarations"])
callbacks = APIRouter(prefix="/api/v1/channels", tags=["provider callbacks"])


@router.get("/payment-methods", response_model=schemas.PaymentMethodList, summary="当前渠道可用的支付方式")
def payment_methods(payer: CurrentPayer, runtime: RuntimeDep) -> schemas.PaymentMethodList:
    methods = methods_for(payer.channel, runtime.settings)
    return schemas.PaymentMethodList(
        items=[schemas.PaymentMethod(code=m, name=METHOD_LABELS[m]) for m in methods]
    )


@router.post("/payments", status_code=status.HTTP_201_CREATED, response_model=schemas.Payment, summary="缴款")
def create_payment(
    body: schemas.PaymentCreate,
    payer: CurrentPayer,
    runtime: RuntimeDep,
    work: Work,
    idempotency_key: Annotated[
        str | None, Header(max_length=128, description="同一键与请求体在24小时内返回首次结果")
    ] = None,
) -> schemas.Payment:
    request = PaymentRequest(
        declaration_id=body.declaration_id,
        method=body.method,
        platform_user_id=body.platform_user_id,
        idempotency_key=idempotency_key,
        agreement_id=body.agreement_id,
    )
    opened = PaymentOpener(runtime, payer.person, channel=payer.channel, work=work).open(request)
    return presenters.payment(opened)


# The longest a result request waits for the outcome (`wait`); under the usual proxies' read timeouts.
WAIT_LIMIT_SECONDS = 10
OUTCOME_OPEN = frozenset({CREATED, PENDING, UNKNOWN})


def _shown(work: UnitOfWork, payer: Principal, payment_id: uuid.UUID) -> schemas.Payment:
    with work.read() as session:
        found = PaymentRepository(session).seen_by(Viewer.of(session, payer.person), payment_id)
        if found is None:
            raise PaymentNotFound()
        return presenters.payment(found)


@router.get("/payments/{payment_id}", response_model=schemas.Payment, summary="缴费结果")
async def get_payment(
    payment_id: PaymentID,
    payer: CurrentPayer,
    work: Work,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=WAIT_LIMIT_SECONDS,
            description="结果未定（待支付、结果未知）时最多等待的秒数，结果一出即返回（长轮询）；0 即刻返回",
        ),
    ] = 0,
) -> schemas.Payment:
    # No transaction is open while it waits: each read is a step of its own, and the wait is for a
    # wake-up after the commit that settles the payment (kit/wakeups), then a read again.
    if not wait:
        return await run_in_threadpool(_shown, work, payer, payment_id)
    with wakeups.board.waiting(outcome_key(payment_id)) as waiter:  # before the read: no change missed
        shown = await run_in_threadpool(_shown, work, payer, payment_id)
        if shown.status not in OUTCOME_OPEN:
            return shown
        await waiter.wait(wait)
    return await run_in_threadpool(_shown, work, payer, payment_id)


@declarations.post(
    "", status_code=status.HTTP_201_CREATED, response_model=declaration_schemas.Declaration, summary="申报"
)
def declare(
    body: declaration_schemas.DeclarationCreate,
    session: WriteSession,  # first: the payer is then found within its step (decision 0016)
    payer: CurrentPayer,
    runtime: RuntimeDep,
) -> declaration_schemas.Declaration:
    insured = insured_for(session, payer.person, body.payer_id)
    declarer = Declarer(session, payer.person, channel=payer.channel, now=runtime.clock.now())
    found = declarer.declare(body.payable_ids, insured, annual_amount_fen=body.annual_amount_fen)
    return declaration_presenters.declaration(session, found)


@declarations.post(
    "/{declaration_id}/void", response_model=declaration_schemas.Declaration, summary="作废申报（仅限未缴款）"
)
def void(
    declaration_id: DeclarationID, payer: CurrentPayer, runtime: RuntimeDep, work: Work
) -> declaration_schemas.Declaration:
    voided = void_declaration(runtime, payer.person, declaration_id, channel=payer.channel, work=work)
    with work.read() as session:  # no read held open across the providers' closes
        return declaration_presenters.declaration(session, voided)


_FORM = {"type": "object", "additionalProperties": {"type": "string"}}
_WECHAT_ANSWER = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string", "enum": ["FAIL"]}, "message": {"type": "string"}},
}


def _text(description: str, example: str) -> dict[str, Any]:
    plain = {"schema": {"type": "string"}, "example": example}
    return {"description": description, "content": {"text/plain": plain}}


def _notification(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


async def _notify(method: str, request: Request, runtime: Runtime, work: UnitOfWork) -> Response:
    body = await request.body()
    answer = await run_in_threadpool(notify.handle, runtime, work, method, body, dict(request.headers))
    return Response(answer.body, status_code=answer.status_code, media_type=answer.content_type)


@callbacks.post(
    "/alipay/notify",
    summary="支付宝异步通知（验签后入库，只处理一次；收到答复 success）",
    response_class=PlainTextResponse,
    openapi_extra=_notification("application/x-www-form-urlencoded", _FORM),
    responses={
        200: _text("已收到：success", "success"),
        400: _text("验签失败或内容不符：支付宝将重发", "invalid notification"),
    },
)
async def alipay_notify(request: Request, runtime: RuntimeDep, work: Work) -> Response:
    return await _notify("alipay", request, runtime, work)


@callbacks.post(
    "/wechat/notify",
    summary="微信支付 APIv3 回调通知（验签、解密后入库，只处理一次；收到答复 204）",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    openapi_extra=_notification("application/json", {"type": "object"}),
    responses={
        204: {"description": "已收到"},
        400: {
            "description": "验签失败或内容不符：微信支付将重发（APIv3 的失败应答）",
            "content": {"application/json": {"schema": _WECHAT_ANSWER}},
        },
    },
)
async def wechat_notify(request: Request, runtime: RuntimeDep, work: Work) -> Response:
    return await _notify("wechat", request, runtime, work)


@callbacks.post(
    "/unionpay/notify",
    summary="银联后台通知（验签后入库，只处理一次；收到答复 HTTP 200）",
    response_class=PlainTextResponse,
    openapi_extra=_notification("application/x-www-form-urlencoded", _FORM),
    responses={
        200: _text("已收到：ok", "ok"),
        400: _text("验签失败或内容不符：银联将重发", "invalid notification"),
    },
)
async def unionpay_notify(request: Request, runtime: RuntimeDep, work: Work) -> Response:
    return await _notify("unionpay", request, runtime, work)


def include(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(declarations)
    app.include_router(callbacks)
