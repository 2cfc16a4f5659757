"""The OpenAPI document describes what the service answers (issue 19, defect 8), and a 405 says `Allow`."""

from __future__ import annotations

from typing import Any

import pytest

ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def document(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return app.openapi()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def _error_schema(operation: dict[str, Any], status: int) -> Any:
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def test_the_error_schema_is_the_one_every_error_has(document) -> None:  # type: ignore[no-untyped-def]
    schema = document["components"]["schemas"]["ErrorResponse"]
    assert schema["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_operation_documents_the_errors_it_can_answer(document) -> None:  # type: ignore[no-untyped-def]
    missing = []
    for path, method, operation in _operations(document):
        expected = {503}
        if operation.get("parameters") or "requestBody" in operation:
            expected.add(422)
        if operation.get("security"):
            expected.add(401)
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected.add(404)
        if method in WRITES:
            expected |= {409, 413}
        documented = {int(code) for code in operation["responses"]}
        if not expected <= documented:
            missing.append((method, path, sorted(expected - documented)))
    assert missing == []


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/api/v1/declarations", {401, 404, 422, 503}),
        ("get", "/api/v1/declarations/{declaration_id}", {401, 404, 422, 503}),
        ("post", "/api/v1/declarations/{declaration_id}/void", {401, 403, 404, 409, 413, 422, 503}),
        ("post", "/api/v1/payments", {401, 403, 404, 409, 413, 422, 503}),
        ("post", "/api/v1/auth/sms-code", {409, 413, 422, 429, 503}),
        ("post", "/api/v1/certificates/verify", {409, 413, 422, 429, 503}),
        ("get", "/api/v1/payables", {401, 404, 422, 503}),
        ("get", "/api/v1/me", {401, 503}),
        ("get", "/health", {503}),
    ],
)
def test_error_statuses_of_some_operations(document, method: str, path: str, statuses: set[int]) -> None:  # type: ignore[no-untyped-def]
    operation = document["paths"][path][method]
    errors = {int(code) for code in operation["responses"] if int(code) >= 400}
    assert errors == statuses
    for status in statuses:
        assert _error_schema(operation, status) == ERROR
    if 429 in statuses:
        assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_notifications_are_one_operation_per_provider_in_its_own_media_type(document) -> None:  # type: ignore[no-untyped-def]
    paths = document["paths"]
    assert "/api/v1/channels/{method}/notify" not in paths
    alipay = paths["/api/v1/channels/alipay/notify"]["post"]
    wechat = paths["/api/v1/channels/wechat/notify"]["post"]
    unionpay = paths["/api/v1/channels/unionpay/notify"]["post"]
    assert list(alipay["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert list(unionpay["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert list(wechat["requestBody"]["content"]) == ["application/json"]
    for operation in (alipay, unionpay):
        assert list(operation["responses"]["200"]["content"]) == ["text/plain"]
        assert list(operation["responses"]["400"]["content"]) == ["text/plain"]
    assert "content" not in wechat["responses"]["204"]
    assert wechat["responses"]["400"]["content"]["application/json"]["schema"]["required"] == [
        "code",
        "message",
    ]
    for operation in (alipay, wechat, unionpay):  # the body limit and a busy database answer the error JSON
        assert _error_schema(operation, 413) == ERROR
        assert _error_schema(operation, 503) == ERROR
        assert "security" not in operation


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/api/v1/family", "GET, POST"),
        ("PUT", "/api/v1/family/0190b6a0-0000-7000-8000-000000000000", "DELETE"),
        ("DELETE", "/api/v1/channels/alipay/notify", "POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_method_not_allowed_is_405_with_allow(client, method: str, path: str, allow: str) -> None:  # type: ignore[no-untyped-def]
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.json() == {"error": {"code": "method_not_allowed", "message": "不支持该请求方式"}}


@pytest.mark.parametrize(
    ("method", "raw", "content_type", "body"),
    [
        ("alipay", b"garbage", "text/plain; charset=utf-8", "invalid notification"),
        ("unionpay", b"garbage", "text/plain; charset=utf-8", "invalid notification"),
        ("wechat", b"garbage", "application/json", '{"code":"FAIL","message":"invalid notification"}'),
    ],
)
def test_a_refused_notification_answers_in_the_providers_protocol(  # type: ignore[no-untyped-def]
    client, method: str, raw: bytes, content_type: str, body: str
) -> None:
    answer = client.post(f"/api/v1/channels/{method}/notify", content=raw)
    assert (answer.status_code, answer.headers["content-type"], answer.text) == (400, content_type, body)
