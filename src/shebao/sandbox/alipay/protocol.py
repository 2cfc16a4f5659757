"""The simulated Alipay gateway's side of the open-platform protocol: reading a request (query string and
urlencoded form, like Alipay), checking the app's RSA2 signature, answering signed JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response

from shebao.channels.alipay import fields, keys, signing
from shebao.config import Settings
from shebao.errors import BadRequest
from shebao.sandbox.alipay.trades import TradeRefused

MAX_BODY = 64 * 1024
JSON_TYPE = "application/json;charset=utf-8"


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    app_id: str
    biz: dict[str, Any]
    params: dict[str, str]


def _pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=200)


async def gateway_params(request: Request) -> dict[str, str]:
    """All parameters of a gateway request: the query string's and a urlencoded body's."""
    try:
        pairs = _pairs(request.scope.get("query_string", b"").decode("latin-1"))
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = await request.body()
            if len(body) > MAX_BODY:
                raise BadRequest("请求内容过大")
            pairs += _pairs(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("请求参数格式不正确：应为 UTF-8 编码的表单参数") from exc
    params = dict(pairs)
    if len(params) != len(pairs):
        raise BadRequest("请求参数重复：同一参数只能出现一次")
    return params


def _arguments(sub_code: str, sub_msg: str) -> TradeRefused:
    return TradeRefused(sub_code, sub_msg, code="40002")


def check_request(params: dict[str, str], settings: Settings) -> GatewayRequest:
    """The app's request, once it proves to be the configured app's and well formed."""
    method, app_id = params.get("method", ""), params.get("app_id", "")
    if not method:
        raise _arguments("isv.missing-method", "缺少方法名参数")
    if not app_id:
        raise _arguments("isv.missing-app-id", "缺少AppID参数")
    if app_id != keys.app_id(settings):
        raise _arguments("isv.invalid-app-id", "无效的AppID参数")
    if params.get("charset", "utf-8").lower() != "utf-8":
        raise _arguments("isv.invalid-charset", "字符集错误：沙箱仅支持 utf-8")
    if not params.get("sign"):
        raise _arguments("isv.missing-signature", "缺少签名参数")
    if params.get("sign_type") != signing.SIGN_TYPE:
        raise _arguments("isv.invalid-signature-type", "无效的签名类型：仅支持 RSA2")
    if not signing.verify_params(params, keys.app_public_key(settings)):
        raise _arguments("isv.invalid-signature", "验签出错，请确认使用应用私钥签名且参数未被修改")
    try:
        fields.parse_time(params.get("timestamp", ""))
    except ValueError as exc:
        raise _arguments("isv.invalid-timestamp", "非法的时间戳参数：格式应为 yyyy-MM-dd HH:mm:ss") from exc
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except json.JSONDecodeError:
        biz = None
    if not isinstance(biz, dict):
        raise _arguments("isv.invalid-parameter", "参数无效：biz_content 应为 JSON 对象")
    return GatewayRequest(method=method, app_id=app_id, biz=biz, params=params)


def response_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


def answer(settings: Settings, key_name: str, content: dict[str, Any]) -> Response:
    body = signing.signed_response(key_name, content, keys.sandbox_private_key(settings))
    return Response(content=body.encode("utf-8"), media_type=JSON_TYPE)


def success(settings: Settings, method: str, content: dict[str, Any]) -> Response:
    return answer(settings, response_key(method), {"code": "10000", "msg": "Success", **content})


def refusal(settings: Settings, key_name: str, refused: TradeRefused) -> Response:
    msg = "Invalid Arguments" if refused.code == "40002" else "Business Failed"
    content = {"code": refused.code, "msg": msg, "sub_code": refused.sub_code, "sub_msg": refused.sub_msg}
    return answer(settings, key_name, content)
