"""The UnionPay sandbox: back notifications in UnionPay's fields and signature, sent again until HTTP 200,
copies now or later; the gateway (front form, query, hand-over) answering like UnionPay; the trade API;
the cashier page."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient

from shebao.channels import ChannelOrder
from shebao.channels.unionpay import UnionpayAdapter, fields, keys, signing, unionpay_adapter
from shebao.runtime import Runtime
from shebao.sandbox.unionpay import notifier
from tests.support.payments import move_clock
from tests.support.providers import MERCHANT_RETURN_URL, routed_to

NOTIFY_PATH = "/test/merchant/unionpay-notify"
NOTIFY_URL = f"http://testserver{NOTIFY_PATH}"
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Receiver:
    """A backUrl on the app under test: records each delivery, answers statuses from a script (then 200)."""

    def __init__(self, app: FastAPI) -> None:
        self.bodies: list[bytes] = []
        self.content_types: list[str] = []
        self.statuses: list[int] = []
        app.add_api_route(NOTIFY_PATH, self._receive, methods=["POST"], include_in_schema=False)

    async def _receive(self, request: Request) -> Response:
        self.bodies.append(await request.body())
        self.content_types.append(request.headers.get("content-type", ""))
        return Response("ok", status_code=self.statuses.pop(0) if self.statuses else 200)

    @property
    def forms(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(body.decode())) for body in self.bodies]


@pytest.fixture
def merchant(app: FastAPI) -> Receiver:
    return Receiver(app)


@pytest.fixture
def unionpay(runtime: Runtime, app: FastAPI) -> Iterator[UnionpayAdapter]:
    with routed_to(app):
        yield unionpay_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture
def out(runtime: Runtime) -> str:
    """An order number of ours: it starts with its UTC creation time (txnTime is read from it)."""
    return "SB" + runtime.clock.now().strftime("%Y%m%d%H%M%S") + "0000000042"


def open_trade(unionpay: UnionpayAdapter, runtime: Runtime, out: str, **changes: object) -> dict[str, str]:
    values: dict[str, object] = {
        "out_trade_no": out,
        "amount_fen": 79500,
        "subject": "城乡居民基本医疗保险 2026",
        "client_channel": "h5",
        "platform_user_id": None,
        "notify_url": NOTIFY_URL,
        "return_url": MERCHANT_RETURN_URL,
        "expires_at": runtime.clock.now() + timedelta(minutes=30),
    }
    values.update(changes)
    url = unionpay.create(ChannelOrder(**values)).url  # type: ignore[arg-type]
    assert url is not None
    return dict(parse_qsl(urlsplit(url).query))


def trade(client: TestClient, out: str) -> dict[str, Any]:
    answer = client.get(f"/sandbox/unionpay/trades/{out}")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _verifies_by_the_book(params: dict[str, str], runtime: Runtime) -> bool:
    """UnionPay 5.1.0, from the specification: SHA-256 hex of the sorted `k=v&…`, then SHA256withRSA."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")
    try:
        keys.verify_key(runtime.settings).verify(
            base64.b64decode(params["signature"]), digest, padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:
        return False
    return True


# --- back notifications ------------------------------------------------------------------------------


def test_paying_sends_a_signed_back_notification_in_unionpays_fields(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    open_trade(unionpay, runtime, out)
    paid = client.post(f"/sandbox/unionpay/trades/{out}/pay").json()
    assert merchant.content_types == ["application/x-www-form-urlencoded; charset=UTF-8"]
    [form] = merchant.forms
    assert _verifies_by_the_book(form, runtime)
    paid_at = paid["paid_at"]
    assert form == {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "certId": "69042905377",
        "accessType": "0",
        "merId": keys.DEV_MER_ID,
        "txnType": "01",
        "txnSubType": "01",
        "bizType": "000201",
        "orderId": out,
        "txnTime": fields.txn_time(out),
        "respCode": "00",
        "respMsg": "成功[0000000]",
        "queryId": paid["query_id"],
        "traceNo": form["traceNo"],
        "traceTime": form["traceTime"],
        "settleAmt": "79500",
        "settleCurrencyCode": "156",
        "settleDate": form["settleDate"],
        "txnAmt": "79500",
        "currencyCode": "156",
        "signature": form["signature"],
    }
    assert re.fullmatch(r"\d{6}", form["traceNo"]) and re.fullmatch(r"\d{10}", form["traceTime"])
    assert paid_at and re.fullmatch(r"\d{4}", form["settleDate"])
    note = unionpay.parse_notification(merchant.bodies[0], {"content-type": merchant.content_types[0]})
    assert (note.status, note.amount_fen, note.event_id) == ("succeeded", 79500, f"{paid['query_id']}:00")
    assert trade(client, out)["notify_state"] == "delivered"


def test_a_notification_is_sent_again_until_http_200_then_abandoned(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    merchant.statuses = [500, 404, 302] + [500] * 10
    open_trade(unionpay, runtime, out)
    client.post(f"/sandbox/unionpay/trades/{out}/pay")
    assert notifier.deliver_due(runtime) == 0
    for wait in notifier.BACKOFF:
        move_clock(runtime, wait)
        assert notifier.deliver_due(runtime) == 1
    move_clock(runtime, timedelta(days=1))
    assert notifier.deliver_due(runtime) == 0
    assert len(merchant.bodies) == 6
    assert (trade(client, out)["notify_state"], trade(client, out)["notify_attempts"]) == ("abandoned", 6)


def test_an_acknowledged_retry_stops_the_retries(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    merchant.statuses = [503]
    open_trade(unionpay, runtime, out)
    client.post(f"/sandbox/unionpay/trades/{out}/pay")
    move_clock(runtime, timedelta(minutes=1, seconds=1))
    assert notifier.deliver_due(runtime) == 1
    move_clock(runtime, timedelta(hours=1))
    assert notifier.deliver_due(runtime) == 0
    assert (trade(client, out)["notify_state"], len(merchant.bodies)) == ("delivered", 2)


def test_copies_now_and_later(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    open_trade(unionpay, runtime, out)
    paid = client.post(f"/sandbox/unionpay/trades/{out}/pay").json()
    now = client.post(f"/sandbox/unionpay/trades/{out}/notify", json={"copies": 2})
    assert now.json() == {
        "out_trade_no": out,
        "event_id": f"{paid['query_id']}:00",
        "copies": 2,
        "delay_seconds": 0,
    }
    client.post(f"/sandbox/unionpay/trades/{out}/notify", json={"copies": 3, "delay_seconds": 120})
    assert len(merchant.bodies) == 3
    move_clock(runtime, timedelta(seconds=121))
    assert notifier.deliver_due(runtime) == 1
    assert len(merchant.bodies) == 6
    assert {form["queryId"] for form in merchant.forms} == {paid["query_id"]}


def test_a_lost_notification_never_arrives_but_query_says_paid(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    open_trade(unionpay, runtime, out)
    assert (
        client.post(f"/sandbox/unionpay/trades/{out}/pay", json={"notify": False}).json()["notify_state"]
        == "lost"
    )
    move_clock(runtime, timedelta(days=1))
    assert notifier.deliver_due(runtime) == 0
    assert merchant.bodies == [] and unionpay.query(out).status == "succeeded"


# --- the gateway ---------------------------------------------------------------------------------------


def _query(runtime: Runtime, client: TestClient, out: str, **changes: str) -> dict[str, str]:
    params = {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "certId": keys.DEV_CERT_ID,
        "accessType": "0",
        "merId": keys.DEV_MER_ID,
        "txnType": "00",
        "txnSubType": "00",
        "bizType": "000000",
        "channelType": "07",
        "orderId": out,
        "txnTime": fields.txn_time(out) or "",
    }
    params.update(changes)
    answer = client.post(
        "/sandbox/unionpay/gateway/api/queryTrans.do",
        content=urlencode(signing.signed(params, keys.sign_key(runtime.settings))),
        headers=FORM,
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain;charset=UTF-8"
    parsed = fields.answer(answer.text)
    assert _verifies_by_the_book(parsed, runtime)
    return parsed


def test_query_answers_like_unionpay(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    open_trade(unionpay, runtime, out)
    unpaid = _query(runtime, client, out)
    assert (unpaid["respCode"], unpaid["respMsg"], unpaid["orderId"]) == ("34", "查无此交易[2011000]", out)
    paid = client.post(f"/sandbox/unionpay/trades/{out}/pay").json()
    done = _query(runtime, client, out)
    assert {
        k: done[k] for k in ("respCode", "origRespCode", "origRespMsg", "queryId", "txnAmt", "settleAmt")
    } == {
        "respCode": "00",
        "origRespCode": "00",
        "origRespMsg": "成功[0000000]",
        "queryId": paid["query_id"],
        "txnAmt": "79500",
        "settleAmt": "79500",
    }
    assert _query(runtime, client, out, txnTime="20200101000000")["respCode"] == "34"  # orderId *and* txnTime


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"merId": "777290058119999"}, "31", "商户状态不正确：商户号不存在"),
        ({"certId": "1"}, "11", "验证签名失败：certId 与商户签名证书不符"),
        ({"version": "5.0.0"}, "30", "报文格式错误：version 应为 5.1.0"),
        ({"txnType": "01"}, "30", "报文格式错误：查询需要 txnType=00、orderId 和 txnTime"),
    ],
)
def test_query_refusals_are_signed_resp_codes(
    runtime: Runtime, client: TestClient, out: str, changes: dict[str, str], code: str, message: str
) -> None:
    answer = _query(runtime, client, out, **changes)
    assert (answer["respCode"], answer["respMsg"]) == (code, message)


def test_a_forged_or_garbled_request_is_refused(runtime: Runtime, client: TestClient, out: str) -> None:
    params = signing.signed(
        {
            "version": "5.1.0",
            "signMethod": "01",
            "certId": keys.DEV_CERT_ID,
            "merId": keys.DEV_MER_ID,
            "txnType": "00",
            "orderId": out,
            "txnTime": "1",
        },
        keys.sign_key(runtime.settings),
    )
    tampered = client.post(
        "/sandbox/unionpay/gateway/api/queryTrans.do",
        content=urlencode({**params, "orderId": "SB2"}),
        headers=FORM,
    )
    assert fields.answer(tampered.text)["respCode"] == "11"
    for body in (b"a=%FF", b"a=1&a=2"):
        garbled = client.post("/sandbox/unionpay/gateway/api/queryTrans.do", content=body, headers=FORM)
        assert (garbled.status_code, garbled.json()["error"]["message"]) == (
            400,
            "请求参数格式不正确：应为 UTF-8 编码、参数不重复的表单",
        )


def test_the_hand_over_checks_the_signature_and_terms(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, out: str
) -> None:
    form = open_trade(unionpay, runtime, out)
    key = keys.sign_key(runtime.settings)
    changed = signing.signed({**form, "txnAmt": "1"}, key)
    answer = client.post("/sandbox/unionpay/orders", content=urlencode(changed), headers=FORM)
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        400,
        "重复交易：同一订单号的交易时间或金额不一致（12）",
    )
    forged = {**form, "txnAmt": "1"}
    answer = client.post("/sandbox/unionpay/orders", content=urlencode(forged), headers=FORM)
    assert (answer.status_code, answer.json()["error"]["message"]) == (400, "验证签名失败（11）")
    bad = signing.signed({**form, "orderId": "SB-1", "txnTime": "x"}, key)
    answer = client.post("/sandbox/unionpay/orders", content=urlencode(bad), headers=FORM)
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        400,
        "报文格式错误：orderId 应为8至32位字母或数字（30）",
    )
    assert trade(client, out)["amount_fen"] == 79500


def test_a_bad_front_form_shows_an_error_page(runtime: Runtime, client: TestClient) -> None:
    answer = client.post(
        "/sandbox/unionpay/gateway/api/frontTransReq.do", content=b"orderId=SB1&signature=x", headers=FORM
    )
    assert answer.status_code == 400
    assert '<div class="error-box" role="alert">报文格式错误：version 应为 5.1.0（30）</div>' in answer.text
    assert "error-box" in answer.text and "银联在线支付" in answer.text


# --- the trade API and the cashier page --------------------------------------------------------------------


def test_bad_input_to_the_trade_api_is_a_4xx_in_chinese(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    missing = client.post("/sandbox/unionpay/trades/NOPE/pay")
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "银联沙箱中没有该订单")
    open_trade(unionpay, runtime, out)
    early = client.post(f"/sandbox/unionpay/trades/{out}/notify", json={"copies": 1})
    assert (early.status_code, early.json()["error"]["message"]) == (
        409,
        "该订单还没有可发送的通知（尚未付款）",
    )
    for body in ({"copies": 0}, {"copies": 1, "delay_seconds": "soon"}, {"copies": 1, "x": 1}):
        assert client.post(f"/sandbox/unionpay/trades/{out}/notify", json=body).status_code == 422
    assert client.post(f"/sandbox/unionpay/trades/{out}/pay", json={"force": "maybe"}).status_code == 422
    assert client.post(f"/sandbox/unionpay/trades/{out}/cancel").status_code == 200
    again = client.post(f"/sandbox/unionpay/trades/{out}/pay")
    assert (again.status_code, again.json()["error"]["message"]) == (409, "订单已失效，不能支付")
    assert client.post(f"/sandbox/unionpay/trades/{out}/pay", json={"force": True}).json()["status"] == "paid"
    twice = client.post(f"/sandbox/unionpay/trades/{out}/pay", json={"force": True})
    assert (twice.status_code, twice.json()["error"]["message"]) == (409, "重复交易：该订单已支付")


def test_the_cashier_page_pays_and_returns_to_the_front_url(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    form = open_trade(unionpay, runtime, out)
    landed = client.post(
        "/sandbox/unionpay/gateway/api/frontTransReq.do", content=urlencode(form), headers=FORM
    )
    assert landed.status_code == 200  # followed the 303 to the cashier
    html = landed.text
    assert "<title>银联在线支付</title>" in html
    assert '<p class="money" data-amount-fen="79500">¥795.00</p>' in html
    assert "确认付款 ¥795.00</button>" in html and "取消支付</button>" in html
    assert "style=" not in html and "onclick" not in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    assert client.post(f"/sandbox/unionpay/cashier/{out}/pay", data={}).status_code == 403
    done = client.post(
        f"/sandbox/unionpay/cashier/{out}/pay", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, MERCHANT_RETURN_URL)
    assert trade(client, out)["status"] == "paid" and len(merchant.bodies) == 1
    page = client.get(f"/sandbox/unionpay/cashier/{out}").text
    assert "支付成功" in page and "确认付款" not in page


def test_cancelling_at_the_cashier_fails_the_order(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    open_trade(unionpay, runtime, out)
    page = client.get(f"/sandbox/unionpay/cashier/{out}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    done = client.post(
        f"/sandbox/unionpay/cashier/{out}/cancel", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert (done.status_code, done.headers["location"]) == (303, MERCHANT_RETURN_URL)
    assert trade(client, out)["status"] == "failed" and merchant.bodies == []
    assert unionpay.query(out).status == "closed"
    assert client.get("/sandbox/unionpay/cashier/NOPE").status_code == 404


def test_an_order_past_its_pay_timeout_cannot_be_paid(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient, merchant: Receiver, out: str
) -> None:
    open_trade(unionpay, runtime, out, expires_at=runtime.clock.now() + timedelta(minutes=1))
    move_clock(runtime, timedelta(minutes=2))
    refused = client.post(f"/sandbox/unionpay/trades/{out}/pay")
    assert (refused.status_code, refused.json()["error"]["message"]) == (409, "订单已失效，不能支付")
    assert trade(client, out)["status"] == "expired" and merchant.bodies == []
