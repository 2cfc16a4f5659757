"""The OpenAPI document describes what the service answers, errors included (issue 19, defect 8).

Every error the service answers has one shape, `{"error": {"code", "message", "fields"}}` (API.md).
Which operation can answer which error status follows from what the operation is, in one place:

- 422 — it takes parameters or a body (validation, in Chinese, web/validation.py);
- 413 — it takes a body or changes state (the body limit, web/security.py, reads no further);
- 401 — it needs a login or a key (a security scheme, or a 401 the route declares);
- 403 — it changes state for a logged-in payer (a cookie-authenticated call without the CSRF token);
- 404 — it names an object (a path parameter, or a payer's object id in its query or body: not found,
  or not yours);
- 409 — it changes state (a state conflict, or a concurrent change that lost a unique constraint);
- 503 — every operation (the database is busy or away for a moment: `Retry-After`).

Statuses only some operations answer (429 rate limits, 400 of a sandbox gateway) are declared by
their routes with `errors(...)`; this module gives them the error schema too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

WRITES = {"post", "put", "patch", "delete"}

DESCRIPTIONS = {
    400: "请求有误",
    401: "未登录、登录已失效，或密钥无效",
    403: "页面已过期（使用登录 Cookie 的请求缺少 CSRF 令牌）",
    404: "未找到，或不属于当前缴费人（不区分两者）",
    409: "当前状态不能办理该业务，或数据已发生变化",
    413: "请求内容过大",
    422: "填写的信息有误（message 为中文说明，fields 逐项说明）",
    429: "操作过于频繁（Retry-After 给出可重试的秒数）",
    503: "系统繁忙，请稍后再试（Retry-After 给出秒数）",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="稳定的错误代码，如 validation_failed、not_found")
    message: str = Field(description="中文说明")
    fields: dict[str, str] | None = Field(default=None, description="逐项说明：字段名 → 中文说明")


class ErrorResponse(BaseModel):
    """Every error answer of the service."""

    error: ErrorDetail


_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_FASTAPI_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
_RETRY_AFTER = {
    "Retry-After": {"description": "可重试前等待的秒数", "schema": {"type": "integer", "minimum": 1}}
}


def errors(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route for the error statuses only it answers: `errors(429)`, or with its own
    descriptions, `errors(s409="已申报，不能重复申报")`."""
    answers: dict[int | str, dict[str, Any]] = {
        status: {"description": DESCRIPTIONS[status], "model": ErrorResponse} for status in statuses
    }
    for key, text in described.items():
        answers[int(key.removeprefix("s"))] = {"description": text, "model": ErrorResponse}
    return answers


def install(app: FastAPI) -> None:
    """Serve the document with every operation's error answers described (built once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            describe_errors(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe_errors(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(
        {
            "ErrorDetail": ErrorDetail.model_json_schema(),
            "ErrorResponse": {
                **ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}"),
                "required": ["error"],
            },
        }
    )
    schemas["ErrorResponse"].pop("$defs", None)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method in WRITES | {"get", "head", "options"}:
                _describe(document, path, method, operation)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def statuses_of(document: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, by what it is (see the module's docstring)."""
    declared = {int(code) for code in operation.get("responses", {}) if str(code).isdigit()}
    found = {503} | {code for code in declared if code >= 400}
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if parameters or has_body:
        found.add(422)
    if has_body or method in WRITES:
        found.add(413)
    secured = bool(operation.get("security"))
    if secured:
        found.add(401)
        if method in WRITES and path.startswith("/api/"):
            found.add(403)
    if _names_an_object(document, parameters, operation):
        found.add(404)
    if method in WRITES:
        found.add(409)
    return found


# Ids of a payer's objects: one that is unknown, or another payer's, is a 404 (captcha and login
# verification ids are not: a wrong one is a 422 like a wrong code).
OBJECT_IDS = frozenset(
    {
        "payer_id",
        "declaration_id",
        "payable_ids",
        "payment_id",
        "agreement_id",
        "certificate_id",
        "family_id",
        "setting_id",
    }
)


def _names_an_object(
    document: dict[str, Any], parameters: list[dict[str, Any]], operation: dict[str, Any]
) -> bool:
    if any(p.get("in") == "path" for p in parameters):
        return True
    names = {p.get("name", "") for p in parameters if p.get("in") == "query"}
    names |= set(_body_properties(document, operation))
    return bool(names & OBJECT_IDS)


def _body_properties(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    names: list[str] = []
    for media in content.values():
        schema = media.get("schema", {})
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            schema = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        names += list(schema.get("properties", {}))
    return names


def _describe(document: dict[str, Any], path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses_of(document, path, method, operation)):
        answer = responses.setdefault(str(status), {"description": DESCRIPTIONS.get(status, "错误")})
        content = answer.get("content") or {}
        schema = content.get("application/json", {}).get("schema")
        generic = set(content) <= {"application/json"} and schema in (None, {}, _FASTAPI_422)
        if generic:  # what FastAPI fills in; a route that answers its own media type keeps it
            answer["content"] = {"application/json": {"schema": _REF}}
        if status in {429, 503}:
            answer.setdefault("headers", {}).update(_RETRY_AFTER)
    operation["responses"] = dict(sorted(responses.items()))
