"""Ids are typed: a malformed id anywhere is a 422 whose Chinese message names the field, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.support.console import staff_headers
from tests.support.people import ZHANG_SAN, bearer_for, make_person, transaction

ID_FIELDS = {
    "declaration_id": "申报编号",
    "payment_id": "缴款编号",
    "agreement_id": "协议编号",
    "family_id": "家庭成员编号",
    "verification_id": "认证编号",
    "certificate_id": "证明编号",
    "setting_id": "缴费金额设置编号",
    "person_id": "缴费人编号",
    "issue_id": "对账差异编号",
    "run_id": "批扣记录编号",
    "import_id": "导入记录编号",
    "refund_id": "退费编号",
}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"declaration_id": "", "method": "alipay"}, "declaration_id", "请填写申报编号"),
        ({"declaration_id": "12", "method": "alipay"}, "declaration_id", "申报编号格式不正确"),
        ({"declaration_id": None, "method": "alipay"}, "declaration_id", "申报编号格式不正确"),
        ({"method": "alipay"}, "declaration_id", "请填写申报编号"),
        (
            {
                "declaration_id": "00000000-0000-7000-8000-000000000000",
                "method": "agreement",
                "agreement_id": "7",
            },
            "agreement_id",
            "协议编号格式不正确",
        ),
    ],
)
def test_a_payment_for_a_malformed_declaration_id_is_422(client, runtime, body, field, message) -> None:  # type: ignore[no-untyped-def]
    headers = bearer_for(runtime, make_person(runtime, *ZHANG_SAN))
    answer = client.post("/api/v1/payments", json=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json() == {
        "error": {"code": "validation_failed", "message": message, "fields": {field: message}}
    }


def test_several_bad_fields_are_each_named_once(client, runtime) -> None:  # type: ignore[no-untyped-def]
    headers = bearer_for(runtime, make_person(runtime, *ZHANG_SAN))
    answer = client.post("/api/v1/payments", json={"declaration_id": "x", "method": "cash"}, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "validation_failed",
        "message": "申报编号格式不正确（另有1项需要修改）",
        "fields": {
            "declaration_id": "申报编号格式不正确",
            "method": "支付方式应为 alipay、wechat、unionpay、agreement 之一",
        },
    }


def test_every_operation_with_an_id_in_its_path_says_which_id_is_malformed(client, runtime) -> None:  # type: ignore[no-untyped-def]

    headers = bearer_for(runtime, make_person(runtime, *ZHANG_SAN))
    staff = staff_headers(client, runtime, role="admin", office=None)  # the console's ids: an operator's
    paths = client.get("/openapi.json").json()["paths"]
    checked = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            typed = [
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p["schema"].get("format") == "uuid"
            ]
            if not typed:
                continue
            url = re.sub(r"\{[^}]+\}", "not-an-id", path)
            caller = staff if path.startswith("/api/v1/console/") else headers
            answer = client.request(method.upper(), url, headers=caller, json={"outcome": "pass"})
            assert answer.status_code == 422, (method, path)
            message = f"{ID_FIELDS[typed[0]]}格式不正确"
            # the id first; a body that is also wrong for this operation is counted after it
            assert answer.json()["error"]["message"].startswith(message), (method, path)
            checked.append((method, path))
    # Every id the API takes in a path is typed (and so checked above).
    untyped = [
        (method, path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        for p in operation.get("parameters", [])
        if p["in"] == "path" and p["name"] in ID_FIELDS and p["schema"].get("format") != "uuid"
    ]
    assert untyped == []
    console = [(method, path) for method, path in checked if path.startswith("/api/v1/console/")]
    assert len(checked) - len(console) == 14  # the contribution settings add two
    assert ("post", "/api/v1/console/payers/{person_id}/reveal") in console
    assert ("post", "/api/v1/console/reconciliation/issues/{issue_id}/resolve") in console
    assert ("post", "/api/v1/console/refunds/{refund_id}/approve") in console


def test_pages_say_which_id_is_malformed(client, runtime) -> None:  # type: ignore[no-untyped-def]
    from shebao.identity.deps import SESSION_COOKIE
    from shebao.identity.sessions import open_session

    person = make_person(runtime, *ZHANG_SAN)
    with transaction(runtime) as s:
        _, token = open_session(
            s, person.id, kind="cookie", channel="h5", now=runtime.clock.now(), idle=timedelta(minutes=30)
        )
    client.cookies.set(SESSION_COOKIE, token)
    client.get("/")
    csrf = client.cookies["shebao_csrf"]
    for method, url, message in [
        ("GET", "/declarations/x", "申报编号格式不正确"),
        ("GET", "/declarations/x/void", "申报编号格式不正确"),
        ("POST", "/declarations/x/void", "申报编号格式不正确"),
        ("GET", "/pay/x", "申报编号格式不正确"),
        ("POST", "/pay/x", "申报编号格式不正确"),
        ("GET", "/payments/x/result", "缴款编号格式不正确"),
        ("GET", "/agreements/x", "协议编号格式不正确"),
        ("POST", "/agreements/x/revoke", "协议编号格式不正确"),
        ("GET", "/family/x/remove", "家庭成员编号格式不正确"),
        ("POST", "/consents/x", "家庭成员编号格式不正确"),
        ("GET", "/fees/pension?payer_id=x", "缴费对象（家庭成员编号）格式不正确"),
        ("GET", "/declarations?payer_id=x", "缴费对象（家庭成员编号）格式不正确"),
        ("GET", "/certificates/x", "证明编号格式不正确"),
        ("GET", "/certificates/x/image.png", "证明编号格式不正确"),
        ("POST", "/certificates/x/retry", "证明编号格式不正确"),
    ]:
        data = {"csrf_token": csrf, "action": "grant"} if method == "POST" else None
        answer = client.request(method, url, data=data, follow_redirects=False)
        assert answer.status_code == 422, (method, url)
        assert message in answer.text, (method, url)
