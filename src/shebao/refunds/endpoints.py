"""The providers' refund notifications: `/api/v1/channels/{method}/refund-notify`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from shebao.deps import RuntimeDep, Work
from shebao.refunds import notify

callbacks = APIRouter(prefix="/api/v1/channels", tags=["provider callbacks"])

_PLAIN: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
_WECHAT_FAIL: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string", "enum": ["FAIL"]}, "message": {"type": "string"}},
}
# Each answer in the media type its provider expects: WeChat Pay's failure is JSON, the others' plain text.
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "已收到（银联：ok；支付宝、银行不发退款通知，一律拒绝）", "content": _PLAIN},
    204: {"description": "已收到（微信支付 APIv3）"},
    400: {
        "description": "验签失败、内容不符或该渠道不发退款通知：渠道将重发",
        "content": {**_PLAIN, "application/json": {"schema": _WECHAT_FAIL}},
    },
}


@callbacks.post(
    "/{method}/refund-notify",
    summary="退款结果通知（微信支付 REFUND.*、银联退货后台通知；验签后入库，只处理一次）",
    response_class=Response,
    responses=_ANSWERS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                },
            },
        }
    },
)
async def refund_notify(
    method: Literal["wechat", "unionpay", "alipay", "agreement"],
    request: Request,
    runtime: RuntimeDep,
    work: Work,
) -> Response:
    body = await request.body()
    answer = await run_in_threadpool(notify.handle, runtime, work, method, body, dict(request.headers))
    return Response(answer.body or None, status_code=answer.status_code, media_type=answer.content_type)


def include(app: FastAPI) -> None:
    app.include_router(callbacks)
