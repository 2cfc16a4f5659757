"""The Alipay sandbox: notifications in Alipay's format and signature (checked with python-alipay-sdk),
delivered until acknowledged, copies on demand; the trade API; the gateway; the cashier page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shebao.channels import ChannelOrder
from shebao.channels.alipay import AlipayAdapter, alipay_adapter, keys, signing
from shebao.runtime import Runtime
from shebao.sandbox.alipay import notifier
from tests.support.payments import move_clock
from tests.support.providers import MERCHANT_NOTIFY_URL, MERCHANT_RETURN_URL, Merchant, routed_to

OUT = "P20261127000042"
SANDBOX_APP = "9021000100000001"


@pytest.fixture
def merchant(app: FastAPI) -> Merchant:
    return Merchant(app)


@pytest.fixture
def alipay(runtime: Runtime, app: FastAPI) -> Iterator[AlipayAdapter]:
    with routed_to(app):
        yield alipay_adapter(runtime.settings, now=runtime.clock.now)


def _pem(runtime: Runtime) -> tuple[str, str]:
    """(sandbox Alipay private key, sandbox Alipay public key) as PEM, for python-alipay-sdk."""
    private = keys.sandbox_private_key(runtime.settings)
    return (
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


def sdk_merchant(runtime: Runtime) -> AliPay:
    """python-alipay-sdk as a merchant holds it: the app's private key, the sandbox Alipay's public key."""
    app_private = keys.app_private_key(runtime.settings).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return AliPay(
        appid=SANDBOX_APP,
        app_private_key_string=app_private.decode(),
        alipay_public_key_string=_pem(runtime)[1],
    )


def open_trade(alipay: AlipayAdapter, runtime: Runtime, **changes: object) -> None:
    values: dict[str, object] = {
        "out_trade_no": OUT,
        "amount_fen": 79500,
        "subject": "城乡居民基本医疗保险 2026",
        "client_channel": "h5",
        "platform_user_id": None,
        "notify_url": MERCHANT_NOTIFY_URL,
        "return_url": MERCHANT_RETURN_URL,
        "expires_at": runtime.clock.now() + timedelta(minutes=30),
    }
    values.update(changes)
    alipay.create(ChannelOrder(**values))  # type: ignore[arg-type]


def on_this_host(url: str) -> str:
    """The gateway URL as the test client's own path (the browser's cookies belong to the page's host)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def trade(client: TestClient, out_trade_no: str = OUT) -> dict[str, object]:
    answer = client.get(f"/sandbox/alipay/trades/{out_trade_no}")
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


# --- notifications -----------------------------------------------------------------------------------


def test_pay_sends_a_notification_in_alipays_format_that_python_alipay_sdk_verifies(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime)
    paid = client.post(f"/sandbox/alipay/trades/{OUT}/pay").json()
    assert len(merchant.bodies) == 1
    assert merchant.content_types == ["application/x-www-form-urlencoded; charset=utf-8"]
    form = merchant.forms[0]
    assert {k: form[k] for k in ("notify_type", "app_id", "charset", "version", "sign_type")} == {
        "notify_type": "trade_status_sync",
        "app_id": SANDBOX_APP,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
    }
    assert (form["out_trade_no"], form["trade_no"], form["notify_id"]) == (
        OUT,
        paid["trade_no"],
        paid["notify_id"],
    )
    assert (form["trade_status"], form["total_amount"], form["receipt_amount"]) == (
        "TRADE_SUCCESS",
        "795.00",
        "795.00",
    )
    assert (form["buyer_id"], form["subject"]) == ("2088102177846888", "城乡居民基本医疗保险 2026")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", form["gmt_payment"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", form["notify_time"])
    sdk = sdk_merchant(runtime)
    data = dict(form)
    signature = data.pop("sign")
    assert sdk.verify(data, signature) is True
    data["total_amount"] = "0.01"
    data["sign_type"] = "RSA2"
    assert sdk.verify(data, signature) is False
    note = alipay.parse_notification(merchant.bodies[0], {"content-type": merchant.content_types[0]})
    assert (note.status, note.amount_fen, note.event_id) == ("succeeded", 79500, paid["notify_id"])
    assert trade(client)["notify_state"] == "delivered"


def test_an_unacknowledged_notification_is_retried_until_success_then_stops(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    merchant.answers = ["fail"]
    open_trade(alipay, runtime)
    client.post(f"/sandbox/alipay/trades/{OUT}/pay")
    assert len(merchant.bodies) == 1
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("pending", 1)
    assert notifier.deliver_due(runtime) == 0  # the retry is not due yet
    move_clock(runtime, timedelta(minutes=4, seconds=1))
    assert notifier.deliver_due(runtime) == 1
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("delivered", 2)
    move_clock(runtime, timedelta(hours=30))
    assert notifier.deliver_due(runtime) == 0
    assert len(merchant.bodies) == 2
    assert merchant.forms[0]["notify_id"] == merchant.forms[1]["notify_id"]


def test_only_exactly_success_acknowledges_and_alipay_gives_up_after_eight_tries(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    merchant.answers = ["SUCCESS", "success\n", " success", "ok", "fail", "", "fail", "fail", "success"]
    open_trade(alipay, runtime)
    client.post(f"/sandbox/alipay/trades/{OUT}/pay")
    for wait in notifier.BACKOFF:
        move_clock(runtime, wait)
        assert notifier.deliver_due(runtime) == 1
    move_clock(runtime, timedelta(days=2))
    assert notifier.deliver_due(runtime) == 0
    assert len(merchant.bodies) == 8
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("abandoned", 8)


def test_notify_copies_sends_the_current_notification_again_with_the_same_notify_id(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime)
    paid = client.post(f"/sandbox/alipay/trades/{OUT}/pay").json()
    answer = client.post(f"/sandbox/alipay/trades/{OUT}/notify", json={"copies": 3})
    assert answer.status_code == 200
    assert answer.json() == {"out_trade_no": OUT, "notify_id": paid["notify_id"], "copies": 3}
    assert len(merchant.bodies) == 4
    assert {form["notify_id"] for form in merchant.forms} == {paid["notify_id"]}
    assert {form["trade_status"] for form in merchant.forms} == {"TRADE_SUCCESS"}
    assert trade(client)["notify_attempts"] == 1


def test_a_lost_notification_never_arrives_but_query_says_success(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime)
    paid = client.post(f"/sandbox/alipay/trades/{OUT}/pay", json={"notify": False})
    assert paid.status_code == 200
    assert paid.json()["notify_state"] == "lost"
    move_clock(runtime, timedelta(hours=30))
    assert notifier.deliver_due(runtime) == 0
    assert merchant.bodies == []
    state = alipay.query(OUT)
    assert (state.status, state.amount_fen) == ("succeeded", 79500)


def test_cancel_closes_the_trade_and_says_so(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime)
    closed = client.post(f"/sandbox/alipay/trades/{OUT}/cancel").json()
    assert closed["status"] == "TRADE_CLOSED"
    form = merchant.forms[0]
    assert (form["trade_status"], form["total_amount"]) == ("TRADE_CLOSED", "795.00")
    assert "gmt_payment" not in form and form["gmt_close"]
    note = alipay.parse_notification(merchant.bodies[0], {})
    assert (note.status, note.paid_at) == ("closed", None)
    assert alipay.query(OUT).status == "closed"


def test_a_late_payment_of_a_closed_trade_is_a_new_event(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime)
    assert alipay.close(OUT) is True
    refused = client.post(f"/sandbox/alipay/trades/{OUT}/pay")
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "交易已经关闭，不能付款"
    paid = client.post(f"/sandbox/alipay/trades/{OUT}/pay", json={"force": True}).json()
    assert paid["status"] == "TRADE_SUCCESS"
    assert [form["trade_status"] for form in merchant.forms] == ["TRADE_SUCCESS"]
    assert alipay.query(OUT).status == "succeeded"


def test_an_expired_trade_closes_and_cannot_be_paid(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime, expires_at=runtime.clock.now() + timedelta(minutes=1))
    move_clock(runtime, timedelta(minutes=2))
    refused = client.post(f"/sandbox/alipay/trades/{OUT}/pay")
    assert (refused.status_code, refused.json()["error"]["message"]) == (409, "交易已经关闭，不能付款")
    assert trade(client)["status"] == "TRADE_CLOSED"
    assert merchant.bodies == []


# --- the trade API: bad input -------------------------------------------------------------------------


def test_bad_input_to_the_trade_api_is_a_4xx_in_chinese(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    missing = client.post("/sandbox/alipay/trades/NOPE/pay")
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "支付宝沙箱中没有该交易")
    open_trade(alipay, runtime)
    early = client.post(f"/sandbox/alipay/trades/{OUT}/notify", json={"copies": 1})
    assert (early.status_code, early.json()["error"]["message"]) == (
        409,
        "该交易还没有可发送的通知（尚未付款或关闭）",
    )
    for body in ({"copies": 0}, {"copies": 101}, {"copies": "many"}, {}):
        assert client.post(f"/sandbox/alipay/trades/{OUT}/notify", json=body).status_code == 422
    assert client.post(f"/sandbox/alipay/trades/{OUT}/pay", json={"notify": "maybe"}).status_code == 422
    assert client.post(f"/sandbox/alipay/trades/{OUT}/pay", json={"amount_fen": 1}).status_code == 422
    assert (
        client.post(
            f"/sandbox/alipay/trades/{OUT}/pay", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert client.post(f"/sandbox/alipay/trades/{OUT}/pay").status_code == 200
    twice = client.post(f"/sandbox/alipay/trades/{OUT}/pay")
    assert (twice.status_code, twice.json()["error"]["message"]) == (409, "交易已被支付")
    cancel = client.post(f"/sandbox/alipay/trades/{OUT}/cancel")
    assert cancel.status_code == 409
    assert "交易状态不合法" in cancel.json()["error"]["message"]


# --- the gateway -----------------------------------------------------------------------------------------


def test_the_gateway_accepts_python_alipay_sdk_requests_and_its_answers_verify_with_the_sdk(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient
) -> None:
    open_trade(alipay, runtime)
    sdk = sdk_merchant(runtime)
    query = sdk.client_api("alipay.trade.query", biz_content={"out_trade_no": OUT})
    answer = client.get(f"/sandbox/alipay/gateway.do?{query}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json;charset=utf-8"
    content = sdk._verify_and_return_sync_response(answer.text, "alipay_trade_query_response")
    assert (content["code"], content["trade_status"], content["total_amount"]) == (
        "10000",
        "WAIT_BUYER_PAY",
        "795.00",
    )


def _gateway_answer(client: TestClient, params: dict[str, str], key_name: str) -> dict[str, str]:
    body = client.post(
        "/sandbox/alipay/gateway.do",
        content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert body.status_code == 200
    text = signing.response_text(body.text, key_name)
    assert text is not None
    content: dict[str, str] = json.loads(text)
    return content


def test_the_gateway_answers_protocol_errors_like_alipay(runtime: Runtime, client: TestClient) -> None:
    key = keys.app_private_key(runtime.settings)
    base = {
        "app_id": SANDBOX_APP,
        "method": "alipay.trade.query",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-27 14:30:00",
        "version": "1.0",
        "biz_content": '{"out_trade_no":"NOPE"}',
    }
    not_found = _gateway_answer(client, signing.signed(base, key), "alipay_trade_query_response")
    assert (not_found["code"], not_found["sub_code"], not_found["sub_msg"]) == (
        "40004",
        "ACQ.TRADE_NOT_EXIST",
        "交易不存在",
    )
    tampered = {**signing.signed(base, key), "biz_content": '{"out_trade_no":"OTHER"}'}
    assert (
        _gateway_answer(client, tampered, "alipay_trade_query_response")["sub_code"]
        == "isv.invalid-signature"
    )
    other_app = signing.signed({**base, "app_id": "2021000000000009"}, key)
    assert (
        _gateway_answer(client, other_app, "alipay_trade_query_response")["sub_code"] == "isv.invalid-app-id"
    )
    unsigned = dict(base)
    assert (
        _gateway_answer(client, unsigned, "alipay_trade_query_response")["sub_code"]
        == "isv.missing-signature"
    )
    unknown = signing.signed({**base, "method": "alipay.trade.cancel"}, key)
    assert _gateway_answer(client, unknown, "error_response")["sub_msg"] == "不存在的方法名"
    assert _gateway_answer(client, {}, "error_response")["sub_code"] == "isv.missing-method"
    bad_biz = signing.signed({**base, "biz_content": "[1]"}, key)
    assert (
        _gateway_answer(client, bad_biz, "alipay_trade_query_response")["sub_code"] == "isv.invalid-parameter"
    )
    garbled = client.post(
        "/sandbox/alipay/gateway.do",
        content=b"method=%FF",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert garbled.status_code == 400
    assert garbled.json()["error"]["message"] == "请求参数格式不正确：应为 UTF-8 编码的表单参数"
    twice = client.get("/sandbox/alipay/gateway.do?method=a&method=b")
    assert (twice.status_code, twice.json()["error"]["message"]) == (
        400,
        "请求参数重复：同一参数只能出现一次",
    )


def test_the_order_hand_over_checks_the_signature_and_terms(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient
) -> None:
    open_trade(alipay, runtime)
    key = keys.app_private_key(runtime.settings)
    order = {
        "app_id": SANDBOX_APP,
        "method": "alipay.trade.wap.pay",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-27 14:30:00",
        "version": "1.0",
        "biz_content": signing.biz_json(
            {"out_trade_no": OUT, "total_amount": "0.01", "subject": "城乡居民基本医疗保险 2026"}
        ),
    }
    form = {"content-type": "application/x-www-form-urlencoded"}
    changed = client.post(
        "/sandbox/alipay/orders", content=urlencode(signing.signed(order, key)), headers=form
    )
    assert changed.status_code == 400
    assert (
        changed.json()["error"]["message"]
        == "交易信息被篡改：同一商户订单号的金额或标题不一致（ACQ.CONTEXT_INCONSISTENT）"
    )
    forged = {**signing.signed(order, key), "app_id": "2021000000000009"}
    refused = client.post("/sandbox/alipay/orders", content=urlencode(forged), headers=form)
    assert (refused.status_code, refused.json()["error"]["message"]) == (
        400,
        "无效的AppID参数（isv.invalid-app-id）",
    )
    assert trade(client)["amount_fen"] == 79500


# --- the cashier page -----------------------------------------------------------------------------------


def test_the_cashier_page_shows_the_order_and_paying_returns_to_the_merchant(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    pay_url = alipay.create(
        ChannelOrder(
            OUT,
            79500,
            "城乡居民基本医疗保险 2026",
            "h5",
            None,
            MERCHANT_NOTIFY_URL,
            MERCHANT_RETURN_URL,
            runtime.clock.now() + timedelta(minutes=30),
        )
    ).url
    assert pay_url is not None
    pay_url = on_this_host(pay_url)
    page = client.get(pay_url, headers={"user-agent": "Mozilla/5.0 (iPhone; 390x844) Mobile"})
    assert page.status_code == 200
    html = page.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">' in html
    assert "支付宝收银台" in html and "城乡居民基本医疗保险 2026" in html
    assert '<p class="money" data-amount-fen="79500">¥795.00</p>' in html
    assert "付款 ¥795.00</button>" in html and "取消</button>" in html
    assert "style=" not in html and "onclick" not in html  # plain forms: works without JavaScript
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    assert client.post(f"/sandbox/alipay/cashier/{OUT}/pay", data={}).status_code == 403
    done = client.post(
        f"/sandbox/alipay/cashier/{OUT}/pay", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303
    target = urlsplit(done.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == MERCHANT_RETURN_URL
    returned = dict(parse_qsl(target.query))
    assert (returned["method"], returned["out_trade_no"], returned["total_amount"]) == (
        "alipay.trade.wap.pay.return",
        OUT,
        "795.00",
    )
    signature = returned.pop("sign")
    assert sdk_merchant(runtime).verify(returned, signature) is True
    assert trade(client)["status"] == "TRADE_SUCCESS"
    assert len(merchant.bodies) == 1
    again = client.get(pay_url)
    assert again.status_code == 200 and "支付成功" in again.text and "付款 ¥795.00" not in again.text


def test_cancelling_at_the_cashier_closes_the_trade(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient, merchant: Merchant
) -> None:
    open_trade(alipay, runtime, client_channel="alipay_mp", platform_user_id="2088102177846001")
    page = client.get(f"/sandbox/alipay/cashier/{OUT}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token is not None
    done = client.post(
        f"/sandbox/alipay/cashier/{OUT}/cancel", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/sandbox/alipay/cashier/{OUT}")
    assert trade(client)["status"] == "TRADE_CLOSED"
    assert [form["trade_status"] for form in merchant.forms] == ["TRADE_CLOSED"]


def test_a_forged_cashier_link_shows_an_error_page(
    runtime: Runtime, alipay: AlipayAdapter, client: TestClient
) -> None:
    pay_url = alipay.create(
        ChannelOrder(
            OUT,
            79500,
            "城乡居民基本医疗保险 2026",
            "h5",
            None,
            MERCHANT_NOTIFY_URL,
            MERCHANT_RETURN_URL,
            datetime.now(UTC) + timedelta(minutes=30),
        )
    ).url
    assert pay_url is not None
    forged = client.get(pay_url.replace("795.00", "0.01"))
    assert forged.status_code == 400
    assert "验签出错" in forged.text and "付款 ¥" not in forged.text
    assert client.get("/sandbox/alipay/cashier/NOPE").status_code == 404


@pytest.mark.parametrize(
    ("changes", "sub_msg"),
    [
        ({"total_amount": "0.001"}, "参数无效：订单金额 total_amount 应为以元为单位、最多两位小数的金额"),
        ({"total_amount": "0.00"}, "参数无效：订单金额 total_amount 应在0.01元至1亿元之间"),
        ({"out_trade_no": "订单1"}, "参数无效：商户订单号 out_trade_no 应为1至64位字母、数字、下划线"),
        ({"subject": ""}, "参数无效：订单标题 subject 不能为空且不超过256个字符"),
        ({"time_expire": "2026/11/27"}, "参数无效：绝对超时时间 time_expire 格式应为 yyyy-MM-dd HH:mm:ss"),
        ({"buyer_id": "2" * 65}, "参数无效：买家标识 buyer_id 不正确"),
        ({"buyer_id": None}, "参数无效：缺少买家标识 buyer_id 或 buyer_open_id"),
        ({"product_code": "FAST_INSTANT_TRADE_PAY"}, "参数无效：销售产品码 product_code 不正确"),
        ({"notify_url": "http://x/" + "a" * 600}, "参数无效：notify_url 应为不超过512个字符的 http(s) 地址"),
    ],
)
def test_trade_create_refuses_bad_terms_without_opening_a_trade(
    runtime: Runtime, client: TestClient, changes: dict[str, str | None], sub_msg: str
) -> None:
    biz: dict[str, str | None] = {
        "out_trade_no": OUT,
        "total_amount": "795.00",
        "subject": "城乡居民基本医疗保险 2026",
        "buyer_id": "2088102177846001",
    }
    notify_url = str(changes.pop("notify_url", MERCHANT_NOTIFY_URL))
    biz.update(changes)
    params = {
        "app_id": SANDBOX_APP,
        "method": "alipay.trade.create",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-27 14:30:00",
        "version": "1.0",
        "notify_url": notify_url,
        "biz_content": signing.biz_json({k: v for k, v in biz.items() if v is not None}),
    }
    signed = signing.signed(params, keys.app_private_key(runtime.settings))
    content = _gateway_answer(client, signed, "alipay_trade_create_response")
    assert (content["code"], content["sub_code"], content["sub_msg"]) == (
        "40004",
        "ACQ.INVALID_PARAMETER",
        sub_msg,
    )
    assert client.get(f"/sandbox/alipay/trades/{OUT}").status_code == 404
