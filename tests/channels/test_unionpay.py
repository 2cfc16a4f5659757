"""The UnionPay adapter: 5.1.0 signatures checked against the specification (SHA-256 hex of the sorted
fields, signed SHA256withRSA), the front form and its page, back notifications (a wrong signature refused),
and query / close end to end against the sandbox (in-process)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient

from shebao.channels import ChannelError, ChannelOrder, ChannelTimeout, InvalidNotification
from shebao.channels.unionpay import UnionpayAdapter, fields, keys, signing, unionpay_adapter
from shebao.config import ConfigError, Settings
from shebao.kit import http
from shebao.runtime import Runtime
from tests.support.providers import MERCHANT_NOTIFY_URL, MERCHANT_RETURN_URL

OUT = "SB20261127063000123456"  # created 2026-11-27 06:30:00 UTC → txnTime 20261127143000
EXPIRES = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def order(out_trade_no: str = OUT, amount_fen: int = 79500, **changes: object) -> ChannelOrder:
    values: dict[str, object] = {
        "out_trade_no": out_trade_no,
        "amount_fen": amount_fen,
        "subject": "城乡居民基本医疗保险 2026",
        "client_channel": "h5",
        "platform_user_id": None,
        "notify_url": MERCHANT_NOTIFY_URL,
        "return_url": MERCHANT_RETURN_URL,
        "expires_at": EXPIRES,
    }
    values.update(changes)
    return ChannelOrder(**values)  # type: ignore[arg-type]


def notification(**changes: str) -> dict[str, str]:
    values = {
        "accessType": "0",
        "bizType": "000201",
        "certId": "69042905377",
        "currencyCode": "156",
        "encoding": "UTF-8",
        "merId": keys.DEV_MER_ID,
        "orderId": OUT,
        "queryId": "261127143000123456789",
        "respCode": "00",
        "respMsg": "成功[0000000]",
        "settleAmt": "79500",
        "settleCurrencyCode": "156",
        "settleDate": "1127",
        "signMethod": "01",
        "traceNo": "123456",
        "traceTime": "1127143005",
        "txnAmt": "79500",
        "txnSubType": "01",
        "txnTime": "20261127143000",
        "txnType": "01",
        "version": "5.1.0",
    }
    values.update(changes)
    return values


def signed_body(params: dict[str, str], key: rsa.RSAPrivateKey) -> bytes:
    return urlencode(signing.signed(params, key)).encode("ascii")


@pytest.fixture
def adapter(runtime: Runtime) -> UnionpayAdapter:
    return unionpay_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture
def unionpay(runtime: Runtime, routed_http: None) -> UnionpayAdapter:
    return unionpay_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- signing -------------------------------------------------------------------------------------------


def test_the_signature_is_sha256withrsa_over_the_hex_digest_of_the_sorted_fields(runtime: Runtime) -> None:
    params = {
        "txnAmt": "79500",
        "merId": "777290058110048",
        "orderId": "SB1",
        "signature": "old",
        "a": "中文",
    }
    text = signing.signing_string(params)
    assert text == "a=中文&merId=777290058110048&orderId=SB1&txnAmt=79500"
    key = keys.sign_key(runtime.settings)
    signature = base64.b64decode(signing.sign(params, key))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    key.public_key().verify(signature, digest.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    signed = signing.signed({**params, "empty": ""}, key)
    assert "empty" not in signed and signing.verify(signed, key.public_key()) is True
    assert signing.verify({**signed, "txnAmt": "1"}, key.public_key()) is False


def test_txn_time_is_read_from_our_order_number_in_beijing_time() -> None:
    assert fields.txn_time(OUT) == "20261127143000"
    assert fields.txn_time("SB20261231170000123") == "20270101010000"
    assert fields.txn_time("P20261127000001") is None
    assert fields.txn_time("SB20261399000000123") is None


def test_answers_split_outside_braces_and_keep_base64() -> None:
    text = "respCode=00&reqReserved={a=1&b=2}&signature=ab+c/d==&orderId=SB1"
    assert fields.answer(text) == {
        "respCode": "00",
        "reqReserved": "{a=1&b=2}",
        "signature": "ab+c/d==",
        "orderId": "SB1",
    }
    for bad in ("", "novalue", "a=1&a=2", "a={1"):
        with pytest.raises(ValueError, match="not a UnionPay answer"):
            fields.answer(bad)


# --- the front form ----------------------------------------------------------------------------------


def test_create_answers_our_front_page_with_the_signed_form_and_the_sandbox_knows_it(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient
) -> None:
    pay = unionpay.create(order())
    assert (pay.kind, pay.params) == ("redirect", {})
    assert pay.url is not None
    parts = urlsplit(pay.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:8000/pay/unionpay/front"
    form = dict(parse_qsl(parts.query))
    signature = form.pop("signature")
    assert form == {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "certId": "68759663125",
        "accessType": "0",
        "merId": "777290058110048",
        "txnType": "01",
        "txnSubType": "01",
        "bizType": "000201",
        "channelType": "08",
        "orderId": OUT,
        "txnTime": "20261127143000",
        "txnAmt": "79500",
        "currencyCode": "156",
        "frontUrl": MERCHANT_RETURN_URL,
        "backUrl": MERCHANT_NOTIFY_URL,
        "payTimeout": fields.format_time(EXPIRES),
    }
    assert signing.verify({**form, "signature": signature}, keys.merchant_public_key(runtime.settings))
    trade = client.get(f"/sandbox/unionpay/trades/{OUT}").json()
    assert (trade["status"], trade["amount_fen"], trade["txn_time"], trade["channel_type"]) == (
        "unpaid",
        79500,
        "20261127143000",
        "08",
    )


def test_the_front_page_posts_the_form_to_the_gateway(
    runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient
) -> None:
    pay = unionpay.create(order())
    assert pay.url is not None
    page = client.get(pay.url.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    html = page.text
    gateway = "http://127.0.0.1:8000/sandbox/unionpay/gateway/api/frontTransReq.do"
    assert f'<form method="post" action="{gateway}" data-autopost' in html
    assert '<script src="/static/autopost.js" defer></script>' in html
    assert "前往银联支付</button>" in html and "¥795.00" in html
    posted = dict(
        (name, unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html)
    )
    assert posted == dict(parse_qsl(urlsplit(pay.url).query))
    landed = client.post(
        "/sandbox/unionpay/gateway/api/frontTransReq.do", data=posted, follow_redirects=False
    )
    assert (landed.status_code, landed.headers["location"]) == (303, f"/sandbox/unionpay/cashier/{OUT}")


def test_a_front_link_that_is_not_a_signed_form_is_a_400(client: TestClient) -> None:
    for query in (
        "",
        "orderId=SB1&txnAmt=1",
        "orderId=SB1&txnAmt=1&signature=x&evil=1",
        "txnAmt=x&signature=x",
    ):
        answer = client.get(f"/pay/unionpay/front?{query}")
        assert answer.status_code == 400
        assert "支付链接不完整或已被修改" in answer.text


def test_create_refuses_an_order_number_without_its_time(unionpay: UnionpayAdapter) -> None:
    with pytest.raises(ChannelError, match="银联商户订单号应为8至32位字母数字"):
        unionpay.create(order("P20261127000001"))
    with pytest.raises(ChannelError, match="支付金额必须大于0"):
        unionpay.create(order(amount_fen=0))


# --- back notifications ------------------------------------------------------------------------------


def test_a_back_notification_signed_by_unionpay_is_accepted(
    runtime: Runtime, adapter: UnionpayAdapter
) -> None:
    body = signed_body(notification(), keys.sandbox_private_key(runtime.settings))
    note = adapter.parse_notification(body, FORM)
    assert note.event_id == "261127143000123456789:00"
    assert (note.out_trade_no, note.amount_fen, note.app_id) == (OUT, 79500, "777290058110048")
    assert (note.status, note.provider_trade_no, note.paid_at) == ("succeeded", "261127143000123456789", None)
    assert note.raw["respCode"] == "00" and "signature" not in note.raw


def test_a_failed_try_is_not_an_end(runtime: Runtime, adapter: UnionpayAdapter) -> None:
    body = signed_body(
        notification(respCode="01", respMsg="交易失败"), keys.sandbox_private_key(runtime.settings)
    )
    assert adapter.parse_notification(body, FORM).status == "pending"


def test_a_notification_with_a_wrong_signature_is_refused(
    runtime: Runtime, adapter: UnionpayAdapter, stranger_key: rsa.RSAPrivateKey
) -> None:
    forged = signed_body(notification(), stranger_key)
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_notification(forged, FORM)
    assert refused.value.reason == "signature: does not verify with UnionPay's key"
    genuine = signed_body(notification(), keys.sandbox_private_key(runtime.settings))
    tampered = genuine.replace(b"txnAmt=79500", b"txnAmt=1")
    with pytest.raises(InvalidNotification, match="^signature: does not verify"):
        adapter.parse_notification(tampered, FORM)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"merId": "777290058119999"}, "merchant: not this merchant's"),
        ({"txnType": "04"}, "format: txnType 04 is not a payment"),
        ({"txnAmt": "795.00"}, "format: txnAmt is not an amount"),
        ({"txnAmt": "0"}, "format: txnAmt is not an amount"),
        ({"signMethod": "11"}, "signature: signMethod is not 01"),
        ({"queryId": ""}, "format: missing queryId"),
    ],
)
def test_a_notification_not_for_us_or_malformed_is_refused(
    runtime: Runtime, adapter: UnionpayAdapter, changes: dict[str, str], reason: str
) -> None:
    body = signed_body(notification(**changes), keys.sandbox_private_key(runtime.settings))
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_notification(body, FORM)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (
            b"",
            FORM,
            "format: missing version, signMethod, merId, orderId, txnType, txnTime, txnAmt, respCode, "
            "queryId, signature",
        ),
        (b"garbage", FORM, "format: not a UTF-8 urlencoded form"),
        (b"a=%FF", FORM, "format: not a UTF-8 urlencoded form"),
        (b"orderId=1&orderId=2", FORM, "format: not a UTF-8 urlencoded form"),
        (b"{}", {"content-type": "application/json"}, "format: content type application/json"),
    ],
)
def test_garbage_notifications_are_refused(
    adapter: UnionpayAdapter, body: bytes, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_notification(body, headers)
    assert refused.value.reason == reason


def test_the_acknowledgement_is_http_200(adapter: UnionpayAdapter) -> None:
    assert adapter.ack_body() == (200, "text/plain", "ok")
    assert adapter.method == "unionpay"


# --- query and close against the sandbox --------------------------------------------------------------


def test_query_follows_the_order(runtime: Runtime, unionpay: UnionpayAdapter, client: TestClient) -> None:
    unionpay.create(order())
    state = unionpay.query(OUT)
    assert (state.status, state.amount_fen, state.provider_trade_no) == ("pending", None, None)
    paid = client.post(f"/sandbox/unionpay/trades/{OUT}/pay", json={"notify": False}).json()
    state = unionpay.query(OUT)
    assert (state.status, state.amount_fen, state.provider_trade_no, state.paid_at) == (
        "succeeded",
        79500,
        paid["query_id"],
        None,
    )


def test_an_order_the_payer_gave_up_is_closed(unionpay: UnionpayAdapter, client: TestClient) -> None:
    unionpay.create(order())
    assert client.post(f"/sandbox/unionpay/trades/{OUT}/cancel").status_code == 200
    assert unionpay.query(OUT).status == "closed"


def test_query_needs_our_order_number(unionpay: UnionpayAdapter) -> None:
    with pytest.raises(ChannelError, match="不是本系统的银联订单号"):
        unionpay.query("P20261127000001")
    assert unionpay.query("SB20261127063000999999").status == "pending"  # 34: nothing paid under it


def test_close_is_true_unless_paid(unionpay: UnionpayAdapter, client: TestClient) -> None:
    unionpay.create(order())
    assert unionpay.close(OUT) is True
    client.post(f"/sandbox/unionpay/trades/{OUT}/pay", json={"notify": False})
    assert unionpay.close(OUT) is False


def test_a_request_signed_with_another_key_is_refused_by_the_sandbox(
    runtime: Runtime, routed_http: None, stranger_key: rsa.RSAPrivateKey
) -> None:
    impostor = UnionpayAdapter(
        mer_id=keys.DEV_MER_ID,
        cert_id=keys.DEV_CERT_ID,
        gateway=keys.gateway(runtime.settings),
        sign_key=stranger_key,
        verify_key=keys.verify_key(runtime.settings),
        front_page_url="http://127.0.0.1:8000/pay/unionpay/front",
    )
    with pytest.raises(ChannelError) as refused:
        impostor.query(OUT)
    assert str(refused.value) == "银联拒绝了请求：验证签名失败（11）"


def _answering(body: str | Exception | int) -> Callable[[], httpx.Client]:
    def handler(_: httpx.Request) -> httpx.Response:
        if isinstance(body, Exception):
            raise body
        if isinstance(body, int):
            return httpx.Response(body)
        return httpx.Response(200, text=body)

    return lambda: httpx.Client(transport=httpx.MockTransport(handler))


def test_an_answer_not_signed_by_unionpay_is_not_trusted(
    runtime: Runtime,
    adapter: UnionpayAdapter,
    monkeypatch: pytest.MonkeyPatch,
    stranger_key: rsa.RSAPrivateKey,
) -> None:
    paid = {"respCode": "00", "orderId": OUT, "origRespCode": "00", "txnAmt": "1", "signMethod": "01"}
    forged = fields.answer_text(signing.signed(paid, stranger_key))
    unsigned = fields.answer_text(paid)
    for body, message in (
        (forged, "银联应答验签失败"),
        (unsigned, "银联应答未签名：00"),
        ("<html>", "银联应答格式不正确"),
    ):
        monkeypatch.setattr(http, "_factory", _answering(body))
        with pytest.raises(ChannelError) as refused:
            adapter.query(OUT)
        assert str(refused.value) == message


@pytest.mark.parametrize("failure", [httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow"), 502])
def test_no_answer_is_a_timeout(
    adapter: UnionpayAdapter, monkeypatch: pytest.MonkeyPatch, failure: Exception | int
) -> None:
    monkeypatch.setattr(http, "_factory", _answering(failure))
    with pytest.raises(ChannelTimeout):
        adapter.query(OUT)


def test_processing_answers_are_no_answer_yet(
    runtime: Runtime, adapter: UnionpayAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = {
        "respCode": "05",
        "respMsg": "交易已受理，请稍后查询交易结果",
        "merId": keys.DEV_MER_ID,
        "signMethod": "01",
    }
    text = fields.answer_text(signing.signed(busy, keys.sandbox_private_key(runtime.settings)))
    monkeypatch.setattr(http, "_factory", _answering(text))
    with pytest.raises(ChannelTimeout, match="05"):
        adapter.query(OUT)


# --- settings ------------------------------------------------------------------------------------------


def test_production_with_unionpay_enabled_needs_every_key(stranger_key: rsa.RSAPrivateKey) -> None:
    base = {
        "env": "production",
        "secret_key": "x" * 40,
        "database_url": "postgresql+psycopg://shebao@db:5432/shebao",
        "face_provider": "acme",
        "sms_provider": "acme",
        "phone_provider": "acme",
    }
    assert Settings(**base).unionpay_enabled is False  # type: ignore[arg-type]
    with pytest.raises(
        ConfigError, match="SHEBAO_UNIONPAY_SIGN_KEY, SHEBAO_UNIONPAY_CERT_ID, SHEBAO_UNIONPAY_VERIFY_KEY"
    ):
        Settings(**base, unionpay_mer_id="898110248990001").check_for_production()  # type: ignore[arg-type]
    private = stranger_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        stranger_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = Settings(  # type: ignore[arg-type]
        **base,
        unionpay_mer_id="898110248990001",
        unionpay_sign_key=private,
        unionpay_cert_id="69629715588",
        unionpay_verify_key=public,
    )
    settings.check_for_production()
    adapter = unionpay_adapter(settings)
    assert adapter.front_url == "https://gateway.95516.com/gateway/api/frontTransReq.do"
    assert keys.is_sandbox_gateway(settings) is False
    with pytest.raises(ConfigError, match="银联验签公钥"):
        Settings(
            **{
                **base,
                "unionpay_mer_id": "1",
                "unionpay_sign_key": private,
                "unionpay_cert_id": "1",
                "unionpay_verify_key": "nope",
            }
        ).check_for_production()  # type: ignore[arg-type]
