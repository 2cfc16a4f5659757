"""The simulated WeChat Pay's side of API v3: checking the merchant's WECHATPAY2-SHA256-RSA2048
Authorization over the exact request, answering JSON signed with the platform key."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from shebao.channels.wechat import keys, signing
from shebao.config import Settings
from shebao.deps import Clock, RuntimeDep
from shebao.errors import BadRequest
from shebao.kit.clock import ServiceClock
from shebao.kit.ids import new_id
from shebao.runtime import Runtime
from shebao.sandbox.wechat.trades import OrderRefused

MAX_BODY = 64 * 1024
MAX_SKEW = timedelta(minutes=5)


async def raw_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest("请求内容过大")
    return body


def _sign_error(message: str) -> OrderRefused:
    return OrderRefused(401, "SIGN_ERROR", f"签名错误：{message}")


def check_request(request: Request, body: bytes, settings: Settings, now: datetime) -> dict[str, Any] | None:
    """The JSON body (None for a GET) once the Authorization proves the configured merchant signed it."""
    fields = signing.parse_authorization(request.headers.get("authorization", ""))
    if fields is None:
        raise _sign_error("缺少或无法解析 Authorization（应为 WECHATPAY2-SHA256-RSA2048）")
    if fields["mchid"] != keys.mchid(settings):
        raise _sign_error("商户号与配置不符")
    if fields["serial_no"] != keys.cert_serial(settings):
        raise _sign_error("商户API证书序列号不正确")
    timestamp = fields["timestamp"]
    seconds = signing.unix_seconds(timestamp)
    if seconds is None or abs(now - datetime.fromtimestamp(seconds, UTC)) > MAX_SKEW:
        raise _sign_error("请求时间戳与当前时间相差超过5分钟")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：请求内容应为 UTF-8 编码的 JSON") from exc
    path = request.url.path.removeprefix(keys.SANDBOX_PATH)
    url = path + (f"?{request.url.query}" if request.url.query else "")
    message = signing.request_message(request.method, url, timestamp, fields["nonce_str"], text)
    if not signing.verify(message, fields["signature"], keys.merchant_public_key(settings)):
        raise _sign_error("验签失败，请确认使用商户API私钥签名且请求未被修改")
    if request.method == "GET":
        return None
    try:
        content = json.loads(text)
    except json.JSONDecodeError:
        content = None
    if not isinstance(content, dict):
        raise OrderRefused(400, "PARAM_ERROR", "参数错误：请求内容应为 JSON 对象")
    return content


def answer(settings: Settings, now: datetime, status: int, content: dict[str, Any] | None) -> Response:
    """An answer signed `timestamp\\nnonce\\nbody\\n` with the platform key, its serial in the headers."""
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":")) if content is not None else ""
    return Response(
        content=text.encode("utf-8"),
        status_code=status,
        media_type="application/json" if content is not None else None,
        headers=signed_headers(settings, now, text),
    )


def refusal(settings: Settings, now: datetime, refused: OrderRefused) -> Response:
    return answer(settings, now, refused.status, {"code": refused.code, "message": refused.message})


def signed_headers(settings: Settings, now: datetime, text: str) -> dict[str, str]:
    timestamp, nonce = str(int(now.timestamp())), signing.new_nonce()
    signature = signing.sign(
        signing.answer_message(timestamp, nonce, text), keys.sandbox_platform_private_key(settings)
    )
    return {
        "Request-ID": new_id().hex,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Serial": keys.sandbox_platform_serial(settings),
        "Wechatpay-Signature-Type": signing.SCHEMA,
    }


# How the sandbox's APIv3 answers a refused request, as the OpenAPI document shows it (WeChat's own shape).
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}
    for status, text in (
        (400, "参数错误（PARAM_ERROR 等）"),
        (401, "签名错误（SIGN_ERROR）"),
        (404, "订单不存在（ORDER_NOT_EXIST）"),
    )
}


@dataclass(frozen=True)
class SignedCall:
    """A v3 call as the sandbox serves it: its signature checked first, WeChat Pay's refusal answered as
    a signed error (`Call`, a dependency)."""

    request: Request
    body: bytes
    runtime: Runtime
    clock: ServiceClock
    now: datetime

    def serve(self, act: Callable[[dict[str, Any] | None], Response]) -> Response:
        """`act` on the checked body (None for a GET), or the signed refusal."""
        try:
            return act(check_request(self.request, self.body, self.runtime.settings, self.now))
        except OrderRefused as refused:
            return refusal(self.runtime.settings, self.now, refused)

    def answer(self, act: Callable[[dict[str, Any] | None], tuple[int, dict[str, Any] | None]]) -> Response:
        """`act`'s status and content, signed (or the signed refusal)."""
        return self.serve(lambda checked: answer(self.runtime.settings, self.now, *act(checked)))


def signed_call(
    request: Request, body: Annotated[bytes, Depends(raw_body)], runtime: RuntimeDep, clock: Clock
) -> SignedCall:
    return SignedCall(request, body, runtime, clock, clock.now())


Call = Annotated[SignedCall, Depends(signed_call)]
