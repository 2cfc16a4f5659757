"""The WeChat Pay sandbox: callbacks in WeChat Pay's format, signature and encryption (verified and
decrypted by wechatpayv3), re-signed and retried until acknowledged, copies now or later; API v3 as
wechatpayv3 calls it; the trade API; the H5 cashier page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import wechatpayv3.core
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from wechatpayv3 import WeChatPay, WeChatPayType

from shebao.channels import ChannelOrder
from shebao.channels.wechat import WechatAdapter, keys, signing, wechat_adapter
from shebao.runtime import Runtime
from shebao.sandbox.wechat import notifier
from tests.support.payments import move_clock
from tests.support.providers import MERCHANT_RETURN_URL, pem_private, pem_public, routed_to

OUT = "SB20261127143000000042"
NOTIFY_PATH = "/test/merchant/wechat-notify"
NOTIFY_URL = f"http://testserver{NOTIFY_PATH}"


class Receiver:
    """A notify URL on the app under test: records deliveries, answers statuses from a script, then 204."""

    def __init__(self, app: FastAPI) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.statuses: list[int] = []
        app.add_api_route(NOTIFY_PATH, self._receive, methods=["POST"], include_in_schema=False)

    async def _receive(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        self.headers.append(dict(request.headers))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 204)


@pytest.fixture
def merchant(app: FastAPI) -> Receiver:
    return Receiver(app)


@pytest.fixture
def wechat(runtime: Runtime, app: FastAPI) -> Iterator[WechatAdapter]:
    with routed_to(app):
        yield wechat_adapter(runtime.settings, now=runtime.clock.now)


def sdk_merchant(runtime: Runtime) -> WeChatPay:
    settings = runtime.settings
    return WeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=keys.DEV_MCHID,
        private_key=pem_private(keys.merchant_private_key(settings)),
        cert_serial_no=keys.DEV_CERT_SERIAL,
        appid=keys.DEV_APPID,
        apiv3_key=keys.apiv3_key(settings),
        notify_url=NOTIFY_URL,
        public_key=pem_public(keys.sandbox_platform_private_key(settings).public_key()),
        public_key_id=keys.DEV_PLATFORM_SERIAL,
    )


def open_trade(wechat: WechatAdapter, runtime: Runtime, **changes: object) -> None:
    values: dict[str, object] = {
        "out_trade_no": OUT,
        "amount_fen": 79500,
        "subject": "城乡居民基本医疗保险 2026",
        "client_channel": "h5",
        "platform_user_id": None,
        "notify_url": NOTIFY_URL,
        "return_url": MERCHANT_RETURN_URL,
        "expires_at": runtime.clock.now() + timedelta(minutes=30),
    }
    values.update(changes)
    wechat.create(ChannelOrder(**values))  # type: ignore[arg-type]


def trade(client: TestClient, out_trade_no: str = OUT) -> dict[str, Any]:
    answer = client.get(f"/sandbox/wechat/trades/{out_trade_no}")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


# --- callbacks ---------------------------------------------------------------------------------------


def test_paying_sends_a_callback_that_wechatpayv3_verifies_and_decrypts(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    open_trade(wechat, runtime)
    paid = client.post(f"/sandbox/wechat/trades/{OUT}/pay").json()
    [body], [headers] = merchant.bodies, merchant.headers
    assert headers["content-type"] == "application/json"
    assert (headers["wechatpay-serial"], headers["wechatpay-signature-type"]) == (
        keys.DEV_PLATFORM_SERIAL,
        "WECHATPAY2-SHA256-RSA2048",
    )
    event = sdk_merchant(runtime).callback(headers, body)
    assert event is not None
    assert {k: event[k] for k in ("id", "resource_type", "event_type", "summary")} == {
        "id": paid["event_id"],
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
    }
    resource = event["resource"]
    assert resource == {
        "appid": keys.DEV_APPID,
        "mchid": keys.DEV_MCHID,
        "out_trade_no": OUT,
        "trade_type": "MWEB",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "attach": "",
        "amount": {"total": 79500, "currency": "CNY", "payer_total": 79500, "payer_currency": "CNY"},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "transaction_id": paid["transaction_id"],
        "bank_type": "OTHERS",
        "success_time": resource["success_time"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", resource["success_time"])
    assert json.loads(body)["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    note = wechat.parse_notification(body, headers)
    assert (note.status, note.amount_fen, note.event_id) == ("succeeded", 79500, paid["event_id"])
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("delivered", 1)


def test_an_unacknowledged_callback_is_retried_freshly_signed_until_acknowledged(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    merchant.statuses = [500, 400]
    open_trade(wechat, runtime)
    client.post(f"/sandbox/wechat/trades/{OUT}/pay")
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("pending", 1)
    assert notifier.deliver_due(runtime) == 0  # the first retry falls due after 15 seconds
    move_clock(runtime, timedelta(seconds=16))
    assert notifier.deliver_due(runtime) == 1
    move_clock(runtime, timedelta(minutes=20))
    assert notifier.deliver_due(runtime) == 1
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("delivered", 3)
    ids = {json.loads(body)["id"] for body in merchant.bodies}
    assert len(ids) == 1 and len(merchant.bodies) == 3
    stamps = [int(h["wechatpay-timestamp"]) for h in merchant.headers]
    assert stamps[2] - stamps[0] >= 20 * 60  # each try signed when sent: never stale on arrival
    assert wechat.parse_notification(merchant.bodies[2], merchant.headers[2]).amount_fen == 79500


def test_wechat_pay_gives_up_after_sixteen_tries(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    merchant.statuses = [500] * 20
    open_trade(wechat, runtime)
    client.post(f"/sandbox/wechat/trades/{OUT}/pay")
    for wait in notifier.BACKOFF:
        move_clock(runtime, wait)
        assert notifier.deliver_due(runtime) == 1
    move_clock(runtime, timedelta(days=2))
    assert notifier.deliver_due(runtime) == 0
    assert len(merchant.bodies) == 16
    assert sum(notifier.BACKOFF, timedelta()) == timedelta(hours=24, minutes=4)
    assert (trade(client)["notify_state"], trade(client)["notify_attempts"]) == ("abandoned", 16)


@pytest.mark.parametrize("status", [200, 204])
def test_200_and_204_both_acknowledge(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver, status: int
) -> None:
    merchant.statuses = [status]
    open_trade(wechat, runtime)
    client.post(f"/sandbox/wechat/trades/{OUT}/pay")
    assert trade(client)["notify_state"] == "delivered"


def test_copies_now_and_later_carry_the_same_event(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    open_trade(wechat, runtime)
    paid = client.post(f"/sandbox/wechat/trades/{OUT}/pay").json()
    now = client.post(f"/sandbox/wechat/trades/{OUT}/notify", json={"copies": 3})
    assert now.json() == {"out_trade_no": OUT, "event_id": paid["event_id"], "copies": 3, "delay_seconds": 0}
    assert len(merchant.bodies) == 4
    later = client.post(f"/sandbox/wechat/trades/{OUT}/notify", json={"copies": 2, "delay_seconds": 90})
    assert later.status_code == 200
    assert trade(client)["delayed_copies"] == 2
    move_clock(runtime, timedelta(seconds=60))
    assert notifier.deliver_due(runtime) == 0
    move_clock(runtime, timedelta(seconds=31))
    assert notifier.deliver_due(runtime) == 1
    assert len(merchant.bodies) == 6
    assert {json.loads(body)["id"] for body in merchant.bodies} == {paid["event_id"]}
    assert (trade(client)["delayed_copies"], trade(client)["notify_attempts"]) == (0, 1)


def test_a_lost_callback_never_arrives_but_query_says_success(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    open_trade(wechat, runtime)
    assert (
        client.post(f"/sandbox/wechat/trades/{OUT}/pay", json={"notify": False}).json()["notify_state"]
        == "lost"
    )
    move_clock(runtime, timedelta(days=2))
    assert notifier.deliver_due(runtime) == 0
    assert merchant.bodies == []
    assert (wechat.query(OUT).status, wechat.query(OUT).amount_fen) == ("succeeded", 79500)


# --- the trade API: bad input -------------------------------------------------------------------------


def test_bad_input_to_the_trade_api_is_a_4xx_in_chinese(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    missing = client.post("/sandbox/wechat/trades/NOPE/pay")
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "微信支付沙箱中没有该订单")
    open_trade(wechat, runtime)
    early = client.post(f"/sandbox/wechat/trades/{OUT}/notify", json={"copies": 1})
    assert (early.status_code, early.json()["error"]["message"]) == (
        409,
        "该订单还没有可发送的通知（尚未支付）",
    )
    for body, message in (
        ({"copies": 0}, "通知份数不能小于1"),
        ({"copies": 101}, "通知份数不能大于100"),
        ({"copies": 1, "delay_seconds": -1}, "延迟秒数不能小于0"),
        ({"copies": 1, "delay_seconds": 86401}, "延迟秒数不能大于86400"),
        ({}, "请填写通知份数"),
        ({"copies": "x"}, "通知份数应为整数"),
    ):
        answer = client.post(f"/sandbox/wechat/trades/{OUT}/notify", json=body)
        assert answer.status_code == 422 and answer.json()["error"]["message"] == message, body
    assert client.post(f"/sandbox/wechat/trades/{OUT}/pay", json={"notify": "maybe"}).status_code == 422
    assert client.post(f"/sandbox/wechat/trades/{OUT}/pay", json={"amount_fen": 1}).status_code == 422
    assert client.post(f"/sandbox/wechat/trades/{OUT}/cancel", json={"why": 1}).status_code == 422
    garbled = client.post(
        f"/sandbox/wechat/trades/{OUT}/pay", content=b"{", headers={"content-type": "application/json"}
    )
    assert garbled.status_code == 422
    assert client.post(f"/sandbox/wechat/trades/{OUT}/pay").status_code == 200
    twice = client.post(f"/sandbox/wechat/trades/{OUT}/pay")
    assert (twice.status_code, twice.json()["error"]["message"]) == (409, "该订单已支付")
    cancel = client.post(f"/sandbox/wechat/trades/{OUT}/cancel")
    assert (cancel.status_code, cancel.json()["error"]["message"]) == (
        409,
        "订单状态不正确：只有未支付的订单可以取消",
    )


def test_a_closed_order_is_paid_only_by_force(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    open_trade(wechat, runtime)
    assert wechat.close(OUT) is True
    refused = client.post(f"/sandbox/wechat/trades/{OUT}/pay")
    assert (refused.status_code, refused.json()["error"]["message"]) == (409, "该订单已关闭，不能付款")
    assert (
        client.post(f"/sandbox/wechat/trades/{OUT}/pay", json={"force": True}).json()["status"] == "SUCCESS"
    )
    assert len(merchant.bodies) == 1 and wechat.query(OUT).status == "succeeded"


# --- API v3 as wechatpayv3 calls it -----------------------------------------------------------------


class _Requests:
    """`requests` as wechatpayv3 uses it, answered by the app in-process."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, headers: dict[str, str], **_: object) -> Any:
        return self.client.get(url, headers=headers)

    def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None, **_: object) -> Any:
        import json as json_module

        return self.client.post(url, content=json_module.dumps(json).encode(), headers=headers)


@pytest.fixture
def sdk(runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> WeChatPay:
    monkeypatch.setattr(wechatpayv3.core, "requests", _Requests(client))
    merchant = sdk_merchant(runtime)
    merchant._core._gate_way = "http://testserver/sandbox/wechat"
    return merchant


def test_wechatpayv3_orders_queries_and_closes_at_the_sandbox(sdk: WeChatPay, client: TestClient) -> None:
    code, message = sdk.pay(
        description="城乡居民基本医疗保险 2026",
        out_trade_no=OUT,
        amount={"total": 79500},
        payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    )
    assert code == 200, message
    prepay_id = json.loads(message)["prepay_id"]
    assert re.fullmatch(r"wx\d{14}\d{16}", prepay_id)
    assert trade(client)["prepay_id"] == prepay_id
    code, message = sdk.query(out_trade_no=OUT)
    assert code == 200
    found = json.loads(message)
    assert (found["trade_state"], found["amount"], found["trade_type"]) == (
        "NOTPAY",
        {"total": 79500, "currency": "CNY"},
        "JSAPI",
    )
    code, message = sdk.close(out_trade_no=OUT)
    assert (code, message) == (204, b"")
    assert json.loads(sdk.query(out_trade_no=OUT)[1])["trade_state"] == "CLOSED"
    code, message = sdk.query(out_trade_no="SB-NEVER-0001")
    assert (code, json.loads(message)) == (404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": {"total": 0}}, "参数错误：amount.total 应为以分为单位的正整数"),
        ({"amount": {"total": 795.5}}, "参数错误：amount.total 应为以分为单位的正整数"),
        ({"amount": {"total": 1, "currency": "USD"}}, "参数错误：amount.currency 仅支持 CNY"),
        ({"out_trade_no": "短"}, "参数错误：out_trade_no 不正确"),
        ({"description": "社" * 128}, "参数错误：description 不正确"),
        (
            {"time_expire": "2026/11/27"},
            "参数错误：time_expire 应为 RFC 3339 格式，如 2026-11-27T14:30:00+08:00",
        ),
        ({"payer": {"openid": ""}}, "参数错误：openid 不正确"),
        ({"notify_url": "ftp://x"}, "参数错误：notify_url 应为 http(s) 地址"),
    ],
)
def test_the_sandbox_answers_bad_orders_like_wechat_pay(
    sdk: WeChatPay, changes: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {
        "description": "城乡居民基本医疗保险 2026",
        "out_trade_no": OUT,
        "amount": {"total": 79500},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    }
    values.update(changes)
    code, answer = sdk.pay(**values)
    assert (code, json.loads(answer)) == (400, {"code": "PARAM_ERROR", "message": message})


def test_the_same_order_number_with_other_terms_is_refused(sdk: WeChatPay) -> None:
    order = {"description": "社保费", "out_trade_no": OUT, "payer": {"openid": "o1"}}
    first = sdk.pay(amount={"total": 79500}, **order)
    again = sdk.pay(amount={"total": 79500}, **order)
    assert first == again  # the same prepay_id
    code, answer = sdk.pay(amount={"total": 1}, **order)
    assert (code, json.loads(answer)["code"]) == (400, "INVALID_REQUEST")


def _signed_request(runtime: Runtime, method: str, path: str, body: str, **overrides: str) -> dict[str, str]:
    values = {
        "mchid": keys.DEV_MCHID,
        "serial_no": keys.DEV_CERT_SERIAL,
        "timestamp": str(int(datetime.now(UTC).timestamp())),
        "nonce": "N" * 32,
    }
    values.update(overrides)
    return {
        "Authorization": signing.authorization(
            mchid=values["mchid"],
            serial_no=values["serial_no"],
            key=keys.merchant_private_key(runtime.settings),
            method=method,
            url=path,
            body=body,
            timestamp=values["timestamp"],
            nonce=values["nonce"],
        ),
        "Content-Type": "application/json",
    }


def test_requests_not_signed_by_the_merchant_now_are_refused(runtime: Runtime, client: TestClient) -> None:
    path = f"/v3/pay/transactions/out-trade-no/{OUT}?mchid={keys.DEV_MCHID}"
    url = "/sandbox/wechat" + path

    def refused(headers: dict[str, str]) -> str:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "SIGN_ERROR"
        assert answer.headers["wechatpay-serial"] == keys.DEV_PLATFORM_SERIAL  # signed like every answer
        message: str = answer.json()["message"]
        return message

    assert refused({}) == "签名错误：缺少或无法解析 Authorization（应为 WECHATPAY2-SHA256-RSA2048）"
    stale = str(int((datetime.now(UTC) - timedelta(minutes=6)).timestamp()))
    assert (
        refused(_signed_request(runtime, "GET", path, "", timestamp=stale))
        == "签名错误：请求时间戳与当前时间相差超过5分钟"
    )
    for odd in ("99999999999999999999", "-1"):
        assert (
            refused(_signed_request(runtime, "GET", path, "", timestamp=odd))
            == "签名错误：请求时间戳与当前时间相差超过5分钟"
        )
    assert (
        refused(_signed_request(runtime, "GET", path, "", serial_no="0000"))
        == "签名错误：商户API证书序列号不正确"
    )
    assert (
        refused(_signed_request(runtime, "GET", path, "", mchid="1900000999")) == "签名错误：商户号与配置不符"
    )
    other_path = _signed_request(runtime, "GET", path.replace(OUT, "OTHER"), "")
    assert refused(other_path) == "签名错误：验签失败，请确认使用商户API私钥签名且请求未被修改"
    ok = client.get(url, headers=_signed_request(runtime, "GET", path, ""))
    assert (ok.status_code, ok.json()["code"]) == (404, "ORDER_NOT_EXIST")


def test_a_body_that_is_not_a_json_object_is_a_400(runtime: Runtime, client: TestClient) -> None:
    path = "/v3/pay/transactions/jsapi"
    for body in ("[1]", "{", "null"):
        answer = client.post(
            "/sandbox/wechat" + path, content=body, headers=_signed_request(runtime, "POST", path, body)
        )
        assert (answer.status_code, answer.json()) == (
            400,
            {"code": "PARAM_ERROR", "message": "参数错误：请求内容应为 JSON 对象"},
        )


# --- the cashier page ---------------------------------------------------------------------------------


def test_the_h5_cashier_shows_the_order_and_paying_returns_to_the_merchant(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    pay_url = wechat.create(
        ChannelOrder(
            OUT,
            79500,
            "城乡居民基本医疗保险 2026",
            "h5",
            None,
            NOTIFY_URL,
            MERCHANT_RETURN_URL,
            runtime.clock.now() + timedelta(minutes=30),
        )
    ).url
    assert pay_url is not None
    parts = urlsplit(pay_url)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    html = page.text
    assert "<title>微信支付</title>" in html and "城乡居民基本医疗保险 2026" in html
    assert '<p class="money" data-amount-fen="79500">¥795.00</p>' in html
    assert "确认支付 ¥795.00</button>" in html and "取消支付</button>" in html
    assert f'<input type="hidden" name="redirect_url" value="{MERCHANT_RETURN_URL}">' in html
    assert "style=" not in html and "onclick" not in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    assert client.post(f"/sandbox/wechat/cashier/{OUT}/pay", data={}).status_code == 403
    done = client.post(
        f"/sandbox/wechat/cashier/{OUT}/pay",
        data={"csrf_token": token.group(1), "redirect_url": MERCHANT_RETURN_URL},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, MERCHANT_RETURN_URL)
    assert trade(client)["status"] == "SUCCESS" and len(merchant.bodies) == 1
    again = client.get(f"/sandbox/wechat/cashier/{OUT}")
    assert "支付成功" in again.text and "确认支付" not in again.text


def test_cancelling_at_the_cashier_closes_the_order_without_a_callback(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient, merchant: Receiver
) -> None:
    open_trade(wechat, runtime, client_channel="wechat_mp", platform_user_id="o1")
    page = client.get(f"/sandbox/wechat/cashier/{OUT}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token is not None
    done = client.post(
        f"/sandbox/wechat/cashier/{OUT}/cancel", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, f"/sandbox/wechat/cashier/{OUT}")
    assert trade(client)["status"] == "CLOSED" and merchant.bodies == []
    assert wechat.query(OUT).status == "closed"


def test_unknown_cashier_links_show_an_error_page(client: TestClient) -> None:
    for url in (
        "/sandbox/wechat/checkmweb?prepay_id=wx0",
        "/sandbox/wechat/checkmweb",
        "/sandbox/wechat/cashier/NOPE",
    ):
        answer = client.get(url)
        assert answer.status_code == 404 and "订单不存在" in answer.text
