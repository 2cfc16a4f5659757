"""The WeChat Pay adapter: WECHATPAY2-SHA256-RSA2048 cross-checked with wechatpayv3, callbacks built with
wechatpayv3 (accepted; tampered, wrong serial, stale, not ours refused), and create / query / close end to
end against the sandbox (in-process)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import wechatpayv3.utils
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from wechatpayv3 import WeChatPay, WeChatPayType

from shebao.channels import ChannelError, ChannelOrder, ChannelTimeout, InvalidNotification
from shebao.channels.wechat import WechatAdapter, keys, resource, signing, wechat_adapter
from shebao.config import ConfigError, Settings
from shebao.kit import http
from shebao.runtime import Runtime
from tests.support.providers import MERCHANT_NOTIFY_URL, MERCHANT_RETURN_URL, pem_private, pem_public

MCHID, APPID = keys.DEV_MCHID, keys.DEV_APPID
SERIAL = keys.DEV_PLATFORM_SERIAL
OUT = "SB20261127143000123456"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def sdk_as_platform(settings: Settings, key: rsa.RSAPrivateKey | None = None) -> WeChatPay:
    """wechatpayv3 holding the platform's private key: its `sign` signs callbacks as WeChat Pay does."""
    private = key or keys.sandbox_platform_private_key(settings)
    return WeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=MCHID,
        private_key=pem_private(private),
        cert_serial_no=SERIAL,
        appid=APPID,
        apiv3_key=keys.apiv3_key(settings),
        public_key=pem_public(private.public_key()),
        public_key_id=SERIAL,
    )


def sdk_as_merchant(settings: Settings) -> WeChatPay:
    """wechatpayv3 as a merchant holds it: the merchant key, the platform public key and its id."""
    return WeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=MCHID,
        private_key=pem_private(keys.merchant_private_key(settings)),
        cert_serial_no=keys.DEV_CERT_SERIAL,
        appid=APPID,
        apiv3_key=keys.apiv3_key(settings),
        public_key=pem_public(keys.sandbox_platform_private_key(settings).public_key()),
        public_key_id=SERIAL,
    )


def transaction(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": OUT,
        "transaction_id": "4200000985202611270123456789",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": "2026-11-27T14:30:05+08:00",
        "payer": {"openid": OPENID},
        "amount": {"total": 79500, "payer_total": 79500, "currency": "CNY", "payer_currency": "CNY"},
    }
    values.update(changes)
    return values


def callback_body(
    apiv3_key: str, trade: dict[str, object] | None = None, event_id: str = "EV-2026112714300501"
) -> str:
    nonce = "fdasflkja484"
    plain = json.dumps(trade or transaction(), ensure_ascii=False)
    return json.dumps(
        {
            "id": event_id,
            "create_time": "2026-11-27T14:30:06+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": resource.encrypt(apiv3_key, nonce, "transaction", plain),
                "associated_data": "transaction",
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    )


def signed_headers(sdk: WeChatPay, body: str, *, at: datetime, serial: str = SERIAL) -> dict[str, str]:
    timestamp, nonce = str(int(at.timestamp())), "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
    return {
        "Content-Type": "application/json",
        "Wechatpay-Serial": serial,
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sdk.sign([timestamp, nonce, body]),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def order(out_trade_no: str = OUT, amount_fen: int = 79500, **changes: object) -> ChannelOrder:
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


@pytest.fixture
def adapter(runtime: Runtime) -> WechatAdapter:
    return wechat_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture
def wechat(runtime: Runtime, routed_http: None) -> WechatAdapter:
    """The production adapter with dev keys, talking to the sandbox in-process."""
    return wechat_adapter(runtime.settings, now=runtime.clock.now)


@pytest.fixture(scope="module")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- signing -------------------------------------------------------------------------------------------


def _answering(handler: Callable[[httpx.Request], httpx.Response]) -> Callable[[], httpx.Client]:
    return lambda: httpx.Client(transport=httpx.MockTransport(handler))


def test_the_authorization_is_byte_for_byte_wechatpayv3s_and_its_answer_verifies(
    runtime: Runtime, adapter: WechatAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[httpx.Request] = []
    platform = sdk_as_platform(runtime.settings)
    answer = json.dumps({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, ensure_ascii=False)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            404, text=answer, headers=signed_headers(platform, answer, at=datetime.now(UTC))
        )

    monkeypatch.setattr(http, "_factory", _answering(handler))
    assert adapter.query(OUT).status == "not_found"
    [request] = seen
    assert (
        str(request.url)
        == f"http://127.0.0.1:8000/sandbox/wechat/v3/pay/transactions/out-trade-no/{OUT}?mchid={MCHID}"
    )
    header = request.headers["authorization"]
    fields = signing.parse_authorization(header)
    assert fields is not None
    monkeypatch.setattr(wechatpayv3.utils.time, "time", lambda: int(fields["timestamp"]))
    theirs = wechatpayv3.utils.build_authorization(
        f"/v3/pay/transactions/out-trade-no/{OUT}?mchid={MCHID}",
        "GET",
        MCHID,
        keys.DEV_CERT_SERIAL,
        keys.merchant_private_key(runtime.settings),
        data=None,
        nonce_str=fields["nonce_str"],
    )
    assert header == theirs


def test_a_post_signs_the_exact_json_body(
    runtime: Runtime, adapter: WechatAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[httpx.Request] = []
    platform = sdk_as_platform(runtime.settings)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204, headers=signed_headers(platform, "", at=datetime.now(UTC)))

    monkeypatch.setattr(http, "_factory", _answering(handler))
    assert adapter.close(OUT) is True
    [request] = seen
    body = request.content.decode()
    assert body == '{"mchid":"1900000109"}'
    fields = signing.parse_authorization(request.headers["authorization"])
    assert fields is not None
    path = f"/v3/pay/transactions/out-trade-no/{OUT}/close"
    message = f"POST\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    assert signing.verify(message, fields["signature"], keys.merchant_public_key(runtime.settings)) is True
    monkeypatch.setattr(wechatpayv3.utils.time, "time", lambda: int(fields["timestamp"]))
    theirs = wechatpayv3.utils.build_authorization(
        f"/v3/pay/transactions/out-trade-no/{OUT}/close",
        "POST",
        MCHID,
        keys.DEV_CERT_SERIAL,
        keys.merchant_private_key(runtime.settings),
        data=body,
        nonce_str=fields["nonce_str"],
    )
    assert request.headers["authorization"] == theirs


@pytest.mark.parametrize(
    "answer",
    [
        ("forged", 200),
        ("unsigned", 200),
        ("stale", 200),
    ],
)
def test_an_answer_not_signed_by_the_platform_now_is_not_trusted(
    runtime: Runtime,
    adapter: WechatAdapter,
    monkeypatch: pytest.MonkeyPatch,
    stranger_key: rsa.RSAPrivateKey,
    answer: tuple[str, int],
) -> None:
    text = json.dumps({"mchid": MCHID, "out_trade_no": OUT, "trade_state": "SUCCESS", "amount": {"total": 1}})
    kind = answer[0]
    now = datetime.now(UTC)
    headers = {
        "forged": signed_headers(sdk_as_platform(runtime.settings, stranger_key), text, at=now),
        "unsigned": {"Content-Type": "application/json"},
        "stale": signed_headers(sdk_as_platform(runtime.settings), text, at=now - timedelta(minutes=6)),
    }[kind]
    monkeypatch.setattr(
        http, "_factory", _answering(lambda _: httpx.Response(200, text=text, headers=headers))
    )
    with pytest.raises(ChannelError, match="^微信支付应答验签失败"):
        adapter.query(OUT)


@pytest.mark.parametrize(
    "failure", [httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow"), httpx.ConnectError("down"), 502]
)
def test_no_answer_is_a_timeout_never_a_refusal(
    adapter: WechatAdapter, monkeypatch: pytest.MonkeyPatch, failure: Exception | int
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(failure, Exception):
            raise failure
        return httpx.Response(failure)

    monkeypatch.setattr(http, "_factory", _answering(handler))
    with pytest.raises(ChannelTimeout):
        adapter.query(OUT)
    with pytest.raises(ChannelTimeout):
        adapter.create(order())


# --- callbacks ---------------------------------------------------------------------------------------


def test_a_callback_built_with_wechatpayv3_is_accepted(runtime: Runtime, adapter: WechatAdapter) -> None:
    settings = runtime.settings
    body = callback_body(keys.apiv3_key(settings))
    headers = signed_headers(sdk_as_platform(settings), body, at=runtime.clock.now())
    note = adapter.parse_notification(body.encode(), headers)
    assert note.event_id == "EV-2026112714300501"
    assert note.out_trade_no == OUT
    assert note.amount_fen == 79500
    assert note.app_id == APPID
    assert note.status == "succeeded"
    assert note.provider_trade_no == "4200000985202611270123456789"
    assert note.paid_at == datetime(2026, 11, 27, 6, 30, 5, tzinfo=UTC)
    assert note.sent_at == datetime.fromtimestamp(int(headers["Wechatpay-Timestamp"]), UTC)
    assert note.raw["trade_state"] == "SUCCESS" and note.raw["amount_total"] == "79500"
    # wechatpayv3 itself, as a merchant, agrees: the signature verifies and the resource decrypts.
    assert sdk_as_merchant(settings).callback(headers, body)["resource"]["out_trade_no"] == OUT


def test_headers_are_matched_whatever_their_case(runtime: Runtime, adapter: WechatAdapter) -> None:
    body = callback_body(keys.apiv3_key(runtime.settings))
    headers = signed_headers(sdk_as_platform(runtime.settings), body, at=runtime.clock.now())
    lowered = {name.lower(): value for name, value in headers.items()}
    assert adapter.parse_notification(body.encode(), lowered).amount_fen == 79500


@pytest.mark.parametrize(
    ("trade_state", "status"), [("CLOSED", "closed"), ("NOTPAY", "pending"), ("REFUND", "succeeded")]
)
def test_trade_states_map_to_the_cores(
    runtime: Runtime, adapter: WechatAdapter, trade_state: str, status: str
) -> None:
    body = callback_body(keys.apiv3_key(runtime.settings), transaction(trade_state=trade_state))
    headers = signed_headers(sdk_as_platform(runtime.settings), body, at=runtime.clock.now())
    assert adapter.parse_notification(body.encode(), headers).status == status


def _refusal(adapter: WechatAdapter, body: str | bytes, headers: dict[str, str]) -> str:
    with pytest.raises(InvalidNotification) as refused:
        adapter.parse_notification(body.encode() if isinstance(body, str) else body, headers)
    return refused.value.reason


def test_a_tampered_ciphertext_is_refused(runtime: Runtime, adapter: WechatAdapter) -> None:
    settings = runtime.settings
    body = callback_body(keys.apiv3_key(settings))
    event = json.loads(body)
    ciphertext = event["resource"]["ciphertext"]
    event["resource"]["ciphertext"] = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    tampered = json.dumps(event, ensure_ascii=False)
    headers = signed_headers(sdk_as_platform(settings), body, at=runtime.clock.now())
    # Changed after WeChat Pay signed it: the signature no longer verifies.
    assert _refusal(adapter, tampered, headers) == "signature: does not verify with the platform key"
    # Signed as it is (or sealed with another APIv3 key): the resource does not decrypt.
    resigned = signed_headers(sdk_as_platform(settings), tampered, at=runtime.clock.now())
    assert _refusal(adapter, tampered, resigned) == "resource: does not decrypt with the APIv3 key"
    other_key = callback_body("0" * 32)
    other = signed_headers(sdk_as_platform(settings), other_key, at=runtime.clock.now())
    assert _refusal(adapter, other_key, other) == "resource: does not decrypt with the APIv3 key"


def test_a_wrong_serial_is_refused(
    runtime: Runtime, adapter: WechatAdapter, stranger_key: rsa.RSAPrivateKey
) -> None:
    body = callback_body(keys.apiv3_key(runtime.settings))
    now = runtime.clock.now()
    unknown = signed_headers(
        sdk_as_platform(runtime.settings),
        body,
        at=now,
        serial="PUB_KEY_ID_0119000001092000000000000000000009",
    )
    assert _refusal(adapter, body, unknown) == "serial: not a platform key or certificate we hold"
    forged = signed_headers(sdk_as_platform(runtime.settings, stranger_key), body, at=now)
    assert _refusal(adapter, body, forged) == "signature: does not verify with the platform key"


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(minutes=4, seconds=50), True),
        (timedelta(minutes=5, seconds=10), False),
        (-timedelta(minutes=6), False),
    ],
)
def test_a_callback_older_than_five_minutes_is_refused(
    runtime: Runtime, adapter: WechatAdapter, age: timedelta, accepted: bool
) -> None:
    body = callback_body(keys.apiv3_key(runtime.settings))
    headers = signed_headers(sdk_as_platform(runtime.settings), body, at=runtime.clock.now() - age)
    if accepted:
        assert adapter.parse_notification(body.encode(), headers).amount_fen == 79500
    else:
        assert _refusal(adapter, body, headers) == "timestamp: more than 5 minutes from the service clock"


def test_the_service_clock_decides_freshness(runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2026-11-27T14:30:00+08:00")
    adapter = wechat_adapter(runtime.settings, now=runtime.clock.now)
    body = callback_body(keys.apiv3_key(runtime.settings))
    sdk = sdk_as_platform(runtime.settings)
    at_rehearsal = signed_headers(sdk, body, at=datetime(2026, 11, 27, 6, 29, tzinfo=UTC))
    assert adapter.parse_notification(body.encode(), at_rehearsal).amount_fen == 79500
    assert _refusal(adapter, body, signed_headers(sdk, body, at=datetime.now(UTC))).startswith("timestamp:")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"mchid": "1900000999"}, "merchant: not this merchant's"),
        ({"appid": "wx0000000000000000"}, "app id: not this app's"),
        ({"amount": {"total": 795.0}}, "format: amount.total is not a positive integer of fen"),
        ({"amount": {"total": "79500"}}, "format: amount.total is not a positive integer of fen"),
        ({"trade_state": "PAID"}, "format: unknown trade_state PAID"),
        ({"out_trade_no": ""}, "format: missing out_trade_no"),
    ],
)
def test_a_callback_not_for_us_or_malformed_inside_is_refused(
    runtime: Runtime, adapter: WechatAdapter, changes: dict[str, object], reason: str
) -> None:
    body = callback_body(keys.apiv3_key(runtime.settings), transaction(**changes))
    headers = signed_headers(sdk_as_platform(runtime.settings), body, at=runtime.clock.now())
    assert _refusal(adapter, body, headers) == reason


def test_garbage_callbacks_are_refused(runtime: Runtime, adapter: WechatAdapter) -> None:
    now = runtime.clock.now()
    sdk = sdk_as_platform(runtime.settings)
    assert _refusal(adapter, b"", {}) == (
        "format: missing header Wechatpay-Serial, Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature"
    )
    assert _refusal(adapter, "garbage", signed_headers(sdk, "garbage", at=now)) == "format: body is not JSON"
    assert _refusal(adapter, b"\xff", signed_headers(sdk, "x", at=now)) == "format: not UTF-8"
    plain = json.dumps({"id": "EV-1", "resource_type": "plain", "resource": {}})
    assert (
        _refusal(adapter, plain, signed_headers(sdk, plain, at=now))
        == "format: resource_type is not encrypt-resource"
    )
    for stamp in ("99999999999999999999", "１７００００００００", "-1"):
        odd = {**signed_headers(sdk, plain, at=now), "Wechatpay-Timestamp": stamp}
        odd["Wechatpay-Signature"] = sdk.sign([stamp, odd["Wechatpay-Nonce"], plain])
        assert _refusal(adapter, plain, odd) == "timestamp: not Unix seconds"
    rsa_type = {**signed_headers(sdk, plain, at=now), "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"}
    assert _refusal(adapter, plain, rsa_type) == "signature: type WECHATPAY2-SM2-WITH-SM3"


def test_platform_certificates_are_chosen_by_serial(
    runtime: Runtime, tmp_path: Path, stranger_key: rsa.RSAPrivateKey
) -> None:
    old, new = rsa.generate_private_key(public_exponent=65537, key_size=2048), stranger_key
    pem = "".join(
        _certificate(k, serial).public_bytes(serialization.Encoding.PEM).decode()
        for k, serial in ((old, 0x0A1B), (new, 0x5157F09E))
    )
    path = tmp_path / "platform.pem"
    path.write_text(pem)
    settings = runtime.settings.model_copy(update={"wechat_platform_public_key": str(path)})
    assert set(keys.platform_keys(settings)) == {"A1B", "5157F09E"}
    adapter = wechat_adapter(settings, now=runtime.clock.now)
    body = callback_body(keys.apiv3_key(settings))
    now = runtime.clock.now()
    by_new = signed_headers(sdk_as_platform(settings, new), body, at=now, serial="5157f09e")
    assert adapter.parse_notification(body.encode(), by_new).amount_fen == 79500
    by_old = signed_headers(sdk_as_platform(settings, old), body, at=now, serial="0A1B")
    assert adapter.parse_notification(body.encode(), by_old).amount_fen == 79500
    crossed = signed_headers(sdk_as_platform(settings, old), body, at=now, serial="5157F09E")
    assert _refusal(adapter, body, crossed) == "signature: does not verify with the platform key"


def _certificate(key: rsa.RSAPrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def test_the_acknowledgement_is_204_without_a_body(adapter: WechatAdapter) -> None:
    assert adapter.ack_body() == (204, "text/plain", "")
    assert adapter.method == "wechat"


# --- create / query / close against the sandbox ----------------------------------------------------


def test_mini_program_create_answers_pay_params_signed_like_wechatpayv3(
    runtime: Runtime, wechat: WechatAdapter, client: TestClient
) -> None:
    pay = wechat.create(order(client_channel="wechat_mp", platform_user_id=OPENID))
    trade = client.get(f"/sandbox/wechat/trades/{OUT}").json()
    assert (pay.kind, pay.url) == ("mini_program", None)
    params = pay.params
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert (params["appId"], params["package"], params["signType"]) == (
        APPID,
        f"prepay_id={trade['prepay_id']}",
        "RSA",
    )
    assert re.fullmatch(r"\d{10}", params["timeStamp"]) and re.fullmatch(r"[A-Z0-9]{32}", params["nonceStr"])
    theirs = sdk_as_merchant(runtime.settings).sign(
        [APPID, params["timeStamp"], params["nonceStr"], params["package"]]
    )
    assert params["paySign"] == theirs
    assert (trade["trade_type"], trade["openid"], trade["status"], trade["amount_fen"]) == (
        "JSAPI",
        OPENID,
        "NOTPAY",
        79500,
    )


def test_mini_program_create_needs_the_openid(wechat: WechatAdapter) -> None:
    with pytest.raises(ChannelError, match="openid"):
        wechat.create(order(client_channel="wechat_mp"))


@pytest.mark.parametrize("channel", ["h5", "baidu_mp"])
def test_browsers_get_the_h5_url_with_our_redirect(
    wechat: WechatAdapter, client: TestClient, channel: str
) -> None:
    pay = wechat.create(order(client_channel=channel))
    assert pay.kind == "redirect" and pay.params == {} and pay.url is not None
    parts = urlsplit(pay.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:8000/sandbox/wechat/checkmweb"
    query = dict(parse_qsl(parts.query))
    trade = client.get(f"/sandbox/wechat/trades/{OUT}").json()
    assert (query["prepay_id"], query["redirect_url"]) == (trade["prepay_id"], MERCHANT_RETURN_URL)
    assert (trade["trade_type"], trade["status"], trade["openid"]) == ("MWEB", "NOTPAY", None)
    state = wechat.query(OUT)
    assert (state.status, state.amount_fen, state.provider_trade_no, state.paid_at) == (
        "pending",
        79500,
        None,
        None,
    )


def test_query_after_a_payment_without_callback_says_succeeded(
    wechat: WechatAdapter, client: TestClient
) -> None:
    wechat.create(order())
    paid = client.post(f"/sandbox/wechat/trades/{OUT}/pay", json={"notify": False}).json()
    state = wechat.query(OUT)
    assert (state.status, state.amount_fen, state.provider_trade_no) == (
        "succeeded",
        79500,
        paid["transaction_id"],
    )
    assert state.paid_at == datetime.fromisoformat(paid["paid_at"]).replace(microsecond=0)


def test_query_of_an_unknown_order_is_not_found(wechat: WechatAdapter) -> None:
    state = wechat.query("SB20261127000000999999")
    assert (state.status, state.amount_fen, state.provider_trade_no, state.paid_at) == (
        "not_found",
        None,
        None,
        None,
    )


def test_close_confirms_closed_or_never_existed_and_refuses_a_paid_order(
    wechat: WechatAdapter, client: TestClient
) -> None:
    wechat.create(order("SB-OPEN-0001"))
    assert wechat.close("SB-OPEN-0001") is True
    assert wechat.query("SB-OPEN-0001").status == "closed"
    assert wechat.close("SB-OPEN-0001") is True
    assert wechat.close("SB-NEVER-0001") is True
    wechat.create(order("SB-PAID-0001"))
    client.post("/sandbox/wechat/trades/SB-PAID-0001/pay", json={"notify": False})
    assert wechat.close("SB-PAID-0001") is False
    assert wechat.query("SB-PAID-0001").status == "succeeded"


def test_a_request_signed_with_another_key_is_refused_by_the_sandbox(
    runtime: Runtime, routed_http: None, stranger_key: rsa.RSAPrivateKey
) -> None:
    impostor = WechatAdapter(
        mchid=MCHID,
        appid=APPID,
        gateway=keys.gateway(runtime.settings),
        private_key=stranger_key,
        cert_serial=keys.DEV_CERT_SERIAL,
        apiv3_key=keys.apiv3_key(runtime.settings),
        platform_keys=keys.platform_keys(runtime.settings),
        now=runtime.clock.now,
    )
    with pytest.raises(ChannelError) as refused:
        impostor.query(OUT)
    assert (
        str(refused.value)
        == "微信支付拒绝了请求：签名错误：验签失败，请确认使用商户API私钥签名且请求未被修改（SIGN_ERROR）"
    )


# --- settings ------------------------------------------------------------------------------------------


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


def test_production_with_wechat_enabled_needs_every_key(stranger_key: rsa.RSAPrivateKey) -> None:
    assert _production().wechat_enabled is False
    _production().check_for_production()
    with pytest.raises(
        ConfigError, match="SHEBAO_WECHAT_APPID, SHEBAO_WECHAT_PRIVATE_KEY, SHEBAO_WECHAT_CERT_SERIAL"
    ):
        _production(wechat_mchid="1900000109").check_for_production()
    complete = {
        "wechat_mchid": "1900000109",
        "wechat_appid": APPID,
        "wechat_private_key": pem_private(stranger_key),
        "wechat_cert_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "wechat_apiv3_key": "a" * 32,
        "wechat_platform_public_key": pem_public(stranger_key.public_key()),
    }
    with pytest.raises(ConfigError, match="SHEBAO_WECHAT_PLATFORM_SERIAL"):
        _production(**complete).check_for_production()
    with pytest.raises(ConfigError, match="APIv3 密钥必须是32个字符"):
        _production(
            **{**complete, "wechat_apiv3_key": "short", "wechat_platform_serial": SERIAL}
        ).check_for_production()
    settings = _production(**complete, wechat_platform_serial=SERIAL)
    settings.check_for_production()
    assert wechat_adapter(settings).gateway == "https://api.mch.weixin.qq.com"
    with pytest.raises(ConfigError, match="开发密钥"):
        keys.sandbox_platform_private_key(settings)
