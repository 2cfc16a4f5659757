"""The Alipay adapter: RSA2 signing cross-checked with python-alipay-sdk, notifications, and create / query /
close end to end against the sandbox gateway (in-process)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from shebao.channels import ChannelError, ChannelOrder, ChannelTimeout, InvalidNotification, keyfiles
from shebao.channels.alipay import AlipayAdapter, AlipayRefused, alipay_adapter, keys, signing
from shebao.config import ConfigError, Settings
from shebao.kit import http
from shebao.runtime import Runtime
from tests.support.providers import MERCHANT_NOTIFY_URL, MERCHANT_RETURN_URL

APP_ID = keys.DEV_APP_ID
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sdk_as_app(settings: Settings) -> AliPay:
    """python-alipay-sdk holding the app's key; its verify key is the app's public key (to check requests)."""
    return AliPay(
        appid=APP_ID,
        app_private_key_string=pem_private(keys.app_private_key(settings)),
        alipay_public_key_string=pem_public(keys.app_public_key(settings)),
    )


def sdk_as_alipay(settings: Settings) -> AliPay:
    """python-alipay-sdk holding the sandbox Alipay's private key (to sign notifications)."""
    return AliPay(
        appid=APP_ID,
        app_private_key_string=pem_private(keys.sandbox_private_key(settings)),
        alipay_public_key_string=pem_public(keys.alipay_public_key(settings)),
    )


def order(out_trade_no: str = "P20261127000001", amount_fen: int = 79500, **changes: object) -> ChannelOrder:
    values: dict[str, object] = {
        "out_trade_no": out_trade_no,
        "amount_fen": amount_fen,
        "subject": "城乡居民基本医疗保险 2026",
        "client_channel": "h5",
        "platform_user_id": None,
        "notify_url": MERCHANT_NOTIFY_URL,
        "return_url": MERCHANT_RETURN_URL,
        "expires_at": datetime.now(UTC) + timedelta(minutes=30),
    }
    values.update(changes)
    return ChannelOrder(**values)  # type: ignore[arg-type]


def notification_fields(**changes: str) -> dict[str, str]:
    values = {
        "notify_time": "2026-11-27 14:30:06",
        "notify_type": "trade_status_sync",
        "notify_id": "2026112700222143006012345678",
        "app_id": APP_ID,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": "2026112722001400001234567890",
        "out_trade_no": "P20261127000001",
        "buyer_id": "2088102177846888",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "795.00",
        "receipt_amount": "795.00",
        "subject": "城乡居民基本医疗保险 2026",
        "gmt_create": "2026-11-27 14:29:50",
        "gmt_payment": "2026-11-27 14:30:05",
    }
    values.update(changes)
    return values


def signed_body(fields: dict[str, str], key: rsa.RSAPrivateKey) -> bytes:
    params = signing.signed({**fields, "sign_type": "RSA2"}, key, unsigned=signing.NOTIFICATION_UNSIGNED)
    return urlencode(params).encode("ascii")


@pytest.fixture
def adapter(runtime: Runtime) -> AlipayAdapter:
    return alipay_adapter(runtime.settings)


# --- signing ---------------------------------------------------------------------------------------


def test_signing_string_sorts_skips_empty_and_leaves_out_sign() -> None:
    params = {"b": "2", "a": "1", "sign": "xyz", "sign_type": "RSA2", "empty": "", "c": "中文 a+b"}
    assert signing.signing_string(params) == "a=1&b=2&c=中文 a+b&sign_type=RSA2"
    assert signing.signing_string(params, unsigned=signing.NOTIFICATION_UNSIGNED) == "a=1&b=2&c=中文 a+b"


def test_request_signature_is_byte_for_byte_python_alipay_sdks(runtime: Runtime) -> None:
    params = {
        "app_id": APP_ID,
        "method": "alipay.trade.query",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": "2026-11-27 14:30:00",
        "version": "1.0",
        "biz_content": '{"out_trade_no":"P20261127000001"}',
    }
    ours = signing.signed(params, keys.app_private_key(runtime.settings))["sign"]
    theirs = dict(parse_qsl(sdk_as_app(runtime.settings).sign_data(dict(params))))["sign"]
    assert ours == theirs


def test_requests_the_adapter_signs_verify_with_python_alipay_sdk(
    runtime: Runtime, alipay: AlipayAdapter
) -> None:
    pay = alipay.create(order())
    assert pay.url is not None
    params = dict(parse_qsl(urlsplit(pay.url).query))
    sign = params.pop("sign")
    sdk = sdk_as_app(runtime.settings)
    # A request's signature covers sign_type too (only notifications leave it out), so the SDK's request
    # canonical form is used with its RSA2 verifier rather than `verify`, which drops sign_type.
    message = "&".join(f"{k}={v}" for k, v in sdk._ordered_data(dict(params)))
    assert sdk._verify(message, sign) is True
    assert dict(parse_qsl(sdk.sign_data(dict(params))))["sign"] == sign
    params["biz_content"] = params["biz_content"].replace("795.00", "0.01")
    tampered = "&".join(f"{k}={v}" for k, v in sdk._ordered_data(params))
    assert sdk._verify(tampered, sign) is False


def test_response_text_is_the_exact_signed_json_even_with_braces_in_strings() -> None:
    body = '{"alipay_trade_query_response":{"code":"10000","msg":"}{x","n":{"a":1}},"sign":"abc"}'
    assert (
        signing.response_text(body, "alipay_trade_query_response")
        == '{"code":"10000","msg":"}{x","n":{"a":1}}'
    )
    assert signing.response_text(body, "alipay_trade_close_response") is None


# --- notifications ---------------------------------------------------------------------------------


def test_a_notification_signed_by_python_alipay_sdk_is_accepted(
    runtime: Runtime, adapter: AlipayAdapter
) -> None:
    body = sdk_as_alipay(runtime.settings).sign_data(notification_fields()) + "&sign_type=RSA2"
    note = adapter.parse_notification(body.encode("ascii"), FORM)
    assert note.event_id == "2026112700222143006012345678"
    assert note.out_trade_no == "P20261127000001"
    assert note.amount_fen == 79500
    assert note.app_id == APP_ID
    assert note.status == "succeeded"
    assert note.provider_trade_no == "2026112722001400001234567890"
    assert note.paid_at == datetime(2026, 11, 27, 6, 30, 5, tzinfo=UTC)
    assert note.sent_at == datetime(2026, 11, 27, 6, 30, 6, tzinfo=UTC)
    assert note.raw["subject"] == "城乡居民基本医疗保险 2026"
    assert note.raw["sign_type"] == "RSA2"


@pytest.mark.parametrize(
    ("trade_status", "status"),
    [
        ("TRADE_SUCCESS", "succeeded"),
        ("TRADE_FINISHED", "succeeded"),
        ("TRADE_CLOSED", "closed"),
        ("WAIT_BUYER_PAY", "pending"),
    ],
)
def test_only_success_and_finished_count_as_succeeded(
    runtime: Runtime, adapter: AlipayAdapter, trade_status: str, status: str
) -> None:
    body = signed_body(
        notification_fields(trade_status=trade_status), keys.sandbox_private_key(runtime.settings)
    )
    note = adapter.parse_notification(body, FORM)
    assert note.status == status
    assert note.paid_at == (datetime(2026, 11, 27, 6, 30, 5, tzinfo=UTC) if status == "succeeded" else None)


@pytest.mark.parametrize(
    ("total_amount", "amount_fen"),
    [("795.00", 79500), ("0.01", 1), ("7162.5", 716250), ("100", 10000), ("12345678.99", 1234567899)],
)
def test_amount_is_exact_to_the_fen(
    runtime: Runtime, adapter: AlipayAdapter, total_amount: str, amount_fen: int
) -> None:
    body = signed_body(
        notification_fields(total_amount=total_amount), keys.sandbox_private_key(runtime.settings)
    )
    assert adapter.parse_notification(body, FORM).amount_fen == amount_fen


@pytest.mark.parametrize("total_amount", ["0.001", "-1.00", "1e3", "七百", " 795.00", "795,00"])
def test_an_amount_that_is_not_yuan_with_two_decimals_is_refused(
    runtime: Runtime, adapter: AlipayAdapter, total_amount: str
) -> None:
    body = signed_body(
        notification_fields(total_amount=total_amount), keys.sandbox_private_key(runtime.settings)
    )
    with pytest.raises(InvalidNotification, match="total_amount"):
        adapter.parse_notification(body, FORM)


def _tampered(body: bytes) -> bytes:
    return body.replace(b"total_amount=795.00", b"total_amount=0.01")


def _without_sign(body: bytes) -> bytes:
    return urlencode([(k, v) for k, v in parse_qsl(body.decode()) if k != "sign"]).encode()


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (_tampered, "signature: does not verify with Alipay's public key"),
        (_without_sign, "format: missing sign"),
        (lambda body: body.replace(b"sign_type=RSA2", b"sign_type=RSA"), "signature: sign_type is not RSA2"),
        (lambda body: body + b"&out_trade_no=P2", "format: a field appears twice"),
        (lambda body: body + b"&x=%FF", "format: not a UTF-8 urlencoded form"),
    ],
)
def test_a_tampered_or_malformed_body_is_refused(
    runtime: Runtime, adapter: AlipayAdapter, mangle: Callable[[bytes], bytes], reason: str
) -> None:
    body = signed_body(notification_fields(), keys.sandbox_private_key(runtime.settings))
    assert adapter.parse_notification(body, FORM).amount_fen == 79500
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_notification(mangle(body), FORM)
    assert refused.value.reason == reason


def test_a_notification_signed_with_another_key_is_refused(
    adapter: AlipayAdapter, stranger_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidNotification, match="^signature: does not verify"):
        adapter.parse_notification(signed_body(notification_fields(), stranger_key), FORM)


def test_a_notification_for_another_app_is_refused(runtime: Runtime, adapter: AlipayAdapter) -> None:
    body = signed_body(
        notification_fields(app_id="2021000000000009"), keys.sandbox_private_key(runtime.settings)
    )
    with pytest.raises(InvalidNotification, match="^app id: not this app's$"):
        adapter.parse_notification(body, FORM)


def test_a_notification_that_is_not_a_form_is_refused(runtime: Runtime, adapter: AlipayAdapter) -> None:
    body = signed_body(notification_fields(), keys.sandbox_private_key(runtime.settings))
    with pytest.raises(InvalidNotification, match="^format: content type application/json$"):
        adapter.parse_notification(body, {"content-type": "application/json"})


def test_the_acknowledgement_is_exactly_success(adapter: AlipayAdapter) -> None:
    assert adapter.ack_body() == (200, "text/plain", "success")
    assert adapter.method == "alipay"


# --- create / query / close against the sandbox ----------------------------------------------------


def test_h5_create_redirects_to_the_gateway_with_the_signed_order_and_the_sandbox_knows_it(
    alipay: AlipayAdapter, client: TestClient
) -> None:
    pay = alipay.create(order())
    assert pay.kind == "redirect"
    assert pay.params == {}
    assert pay.url is not None and pay.url.startswith("http://127.0.0.1:8000/sandbox/alipay/gateway.do?")
    params = dict(parse_qsl(urlsplit(pay.url).query))
    assert params["method"] == "alipay.trade.wap.pay"
    assert params["notify_url"] == MERCHANT_NOTIFY_URL
    assert params["return_url"] == MERCHANT_RETURN_URL
    biz = json.loads(params["biz_content"])
    assert biz["total_amount"] == "795.00"
    assert biz["product_code"] == "QUICK_WAP_PAY"
    trade = client.get("/sandbox/alipay/trades/P20261127000001").json()
    assert (trade["status"], trade["amount_fen"], trade["subject"]) == (
        "WAIT_BUYER_PAY",
        79500,
        "城乡居民基本医疗保险 2026",
    )
    state = alipay.query("P20261127000001")
    assert (state.status, state.amount_fen, state.paid_at) == ("pending", 79500, None)
    assert state.provider_trade_no == trade["trade_no"]


def test_mini_program_create_answers_the_trade_no_for_trade_pay(
    alipay: AlipayAdapter, client: TestClient
) -> None:
    pay = alipay.create(order(amount_fen=1, client_channel="alipay_mp", platform_user_id="2088102177846001"))
    trade = client.get("/sandbox/alipay/trades/P20261127000001").json()
    assert pay.kind == "mini_program"
    assert pay.url is None
    assert pay.params == {"tradeNO": trade["trade_no"]}
    assert (trade["amount_fen"], trade["buyer_id"], trade["status"]) == (
        1,
        "2088102177846001",
        "WAIT_BUYER_PAY",
    )


def test_mini_program_create_needs_the_buyer(alipay: AlipayAdapter) -> None:
    with pytest.raises(ChannelError, match="platform_user_id"):
        alipay.create(order(client_channel="alipay_mp"))


def test_query_after_payment_without_notification_says_succeeded(
    alipay: AlipayAdapter, client: TestClient
) -> None:
    alipay.create(order())
    paid = client.post("/sandbox/alipay/trades/P20261127000001/pay", json={"notify": False}).json()
    state = alipay.query("P20261127000001")
    assert (state.status, state.amount_fen, state.provider_trade_no) == ("succeeded", 79500, paid["trade_no"])
    assert state.paid_at == datetime.fromisoformat(paid["paid_at"]).replace(microsecond=0)


def test_query_of_an_unknown_trade_is_not_found(alipay: AlipayAdapter) -> None:
    state = alipay.query("NEVER-OPENED")
    assert (state.status, state.amount_fen, state.provider_trade_no, state.paid_at) == (
        "not_found",
        None,
        None,
        None,
    )


def test_close_confirms_closed_or_never_existed_and_refuses_a_paid_trade(
    alipay: AlipayAdapter, client: TestClient
) -> None:
    alipay.create(order("P-OPEN"))
    assert alipay.close("P-OPEN") is True
    assert alipay.query("P-OPEN").status == "closed"
    assert alipay.close("P-OPEN") is True  # closing again is still closed
    assert alipay.close("NEVER-OPENED") is True
    alipay.create(order("P-PAID"))
    client.post("/sandbox/alipay/trades/P-PAID/pay", json={"notify": False})
    assert alipay.close("P-PAID") is False
    assert alipay.query("P-PAID").status == "succeeded"


def test_a_request_signed_with_another_key_is_refused_by_the_gateway(
    runtime: Runtime, routed_http: None, stranger_key: rsa.RSAPrivateKey
) -> None:
    impostor = AlipayAdapter(
        app_id=APP_ID,
        gateway=keys.gateway(runtime.settings),
        app_private_key=stranger_key,
        alipay_public_key=keys.alipay_public_key(runtime.settings),
    )
    with pytest.raises(AlipayRefused) as refused:
        impostor.query("P20261127000001")
    assert (refused.value.code, refused.value.sub_code) == ("40002", "isv.invalid-signature")


def test_an_answer_signed_with_another_key_is_not_trusted(
    runtime: Runtime, stranger_key: rsa.RSAPrivateKey
) -> None:
    forged = signing.signed_response(
        "alipay_trade_query_response",
        {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": "P1",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": "1.00",
        },
        stranger_key,
    )
    unsigned = '{"alipay_trade_query_response":{"code":"40004","sub_code":"ACQ.TRADE_NOT_EXIST"}}'
    adapter = alipay_adapter(runtime.settings)
    previous = http._factory
    try:
        for body in (forged, unsigned, "<html>502</html>"):
            http.use(_answering(body))
            with pytest.raises(ChannelError):
                adapter.query("P1")
    finally:
        http.use(previous)


def _answering(body: str) -> Callable[[], httpx.Client]:
    return lambda: httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200, text=body)))


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ConnectTimeout("slow"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("down"),
        httpx.Response(502),
    ],
)
def test_no_answer_is_a_timeout_never_a_refusal(runtime: Runtime, answer: Exception | httpx.Response) -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    adapter = alipay_adapter(runtime.settings)
    previous = http._factory
    http.use(lambda: httpx.Client(transport=httpx.MockTransport(transport)))
    try:
        with pytest.raises(ChannelTimeout):
            adapter.query("P1")
        with pytest.raises(ChannelTimeout):
            adapter.close("P1")
        with pytest.raises(ChannelTimeout):
            adapter.create(order(client_channel="alipay_mp", platform_user_id="2088102177846001"))
        with pytest.raises(ChannelTimeout):
            adapter.create(order())  # the hand-over of a WAP order to the sandbox
    finally:
        http.use(previous)


# --- settings and keys ------------------------------------------------------------------------------


def test_dev_keys_are_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(env="dev", data_dir=tmp_path)
    first = alipay_adapter(settings)
    app_key = tmp_path / "keys" / keys.APP_KEY_FILE
    assert app_key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys" / keys.SANDBOX_KEY_FILE).exists()
    again = keyfiles.private_key(str(app_key), "支付宝应用私钥")
    assert pem_public(again.public_key()) == pem_public(keys.app_public_key(settings))
    assert first.app_id == "9021000100000001"
    assert first.gateway == "http://127.0.0.1:8000/sandbox/alipay/gateway.do"


def _production(**changes: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": "x" * 40,
        "database_url": "postgresql+psycopg://shebao@db:5432/shebao",
        "face_provider": "acme",
        "sms_provider": "acme",
        "phone_provider": "acme",
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def test_production_with_alipay_enabled_needs_real_keys(
    stranger_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="SHEBAO_ALIPAY_PRIVATE_KEY, SHEBAO_ALIPAY_PUBLIC_KEY"):
        _production(alipay_app_id="2021004100000001").check_for_production()
    with pytest.raises(ConfigError, match="支付宝应用私钥"):
        _production(
            alipay_app_id="2021004100000001", alipay_private_key="not a key", alipay_public_key="MIIB"
        ).check_for_production()
    der = stranger_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem_private(stranger_key))
    settings = _production(
        alipay_app_id="2021004100000001",
        alipay_private_key=str(key_file),
        alipay_public_key=base64.b64encode(der).decode(),  # the bare body Alipay's console shows
    )
    settings.check_for_production()
    adapter = alipay_adapter(settings)
    assert adapter.gateway == "https://openapi.alipay.com/gateway.do"
    _production().check_for_production()  # Alipay not enabled: nothing to check


def test_production_never_hands_orders_to_a_sandbox(stranger_key: rsa.RSAPrivateKey) -> None:
    pem = pem_private(stranger_key)
    settings = _production(
        alipay_app_id="2021004100000001",
        alipay_private_key=pem,
        alipay_public_key=pem_public(stranger_key.public_key()),
        alipay_gateway="https://example.test/sandbox/alipay/gateway.do",
    )
    assert keys.is_sandbox_gateway(settings) is False
