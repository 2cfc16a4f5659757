"""WeChat Pay payment callbacks (支付成功通知): verified over the raw body with the platform key that
`Wechatpay-Serial` names, refused when older than five minutes, then the resource decrypted and read.

The amount is read, not judged: the core compares it with its payment. Everything that decides whether
the callback is WeChat Pay's, fresh and ours — serial, signature, timestamp, merchant, app — is here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.base import ChannelNotification, InvalidNotification
from shebao.channels.wechat import fields, resource, signing

MAX_AGE = timedelta(minutes=5)
HEADERS = ("Wechatpay-Serial", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature")


def header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def check_signed(
    body: bytes,
    headers: Mapping[str, str],
    *,
    keys: Mapping[str, rsa.RSAPublicKey],
    now: datetime,
) -> str:
    """The body as text once its `Wechatpay-*` signature verifies and it is fresh; raises otherwise.

    Shared by callbacks and the adapter's reading of answers."""
    values = {name: header(headers, name) for name in HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise InvalidNotification("format: missing header " + ", ".join(missing))
    kind = header(headers, "Wechatpay-Signature-Type")
    if kind is not None and kind != signing.SCHEMA:
        raise InvalidNotification(f"signature: type {kind}")
    key = keys.get(str(values["Wechatpay-Serial"]))
    if key is None:
        key = _by_certificate_serial(keys, str(values["Wechatpay-Serial"]))
    if key is None:
        raise InvalidNotification("serial: not a platform key or certificate we hold")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidNotification("format: not UTF-8") from exc
    timestamp, nonce = str(values["Wechatpay-Timestamp"]), str(values["Wechatpay-Nonce"])
    message = signing.answer_message(timestamp, nonce, text)
    if not signing.verify(message, str(values["Wechatpay-Signature"]), key):
        raise InvalidNotification("signature: does not verify with the platform key")
    seconds = signing.unix_seconds(timestamp)
    if seconds is None:
        raise InvalidNotification("timestamp: not Unix seconds")
    sent_at = datetime.fromtimestamp(seconds, UTC)
    if abs(now - sent_at) > MAX_AGE:
        raise InvalidNotification("timestamp: more than 5 minutes from the service clock")
    return text


def _by_certificate_serial(keys: Mapping[str, rsa.RSAPublicKey], serial: str) -> rsa.RSAPublicKey | None:
    """Certificate serials are hex numbers: '0A1B' and 'a1b' name the same certificate."""
    try:
        wanted = int(serial, 16)
    except ValueError:
        return None
    for name, key in keys.items():
        try:
            if int(name, 16) == wanted:
                return key
        except ValueError:
            continue
    return None


def _object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidNotification(f"format: {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidNotification(f"format: {what} is not an object")
    return value


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidNotification(f"format: missing {name}")
    return value


def opened(
    body: bytes,
    headers: Mapping[str, str],
    *,
    apiv3_key: str,
    keys: Mapping[str, rsa.RSAPublicKey],
    now: datetime,
    kind: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A callback's event and its decrypted `resource` (of `original_type` `kind`: transaction, refund),
    once signature, freshness and encryption all hold."""
    event = _object(check_signed(body, headers, keys=keys, now=now), "body")
    _text(event, "id")
    if event.get("resource_type") != "encrypt-resource":
        raise InvalidNotification("format: resource_type is not encrypt-resource")
    sealed = event.get("resource")
    if not isinstance(sealed, dict):
        raise InvalidNotification("format: missing resource")
    if sealed.get("algorithm") != resource.ALGORITHM:
        raise InvalidNotification(f"format: algorithm {sealed.get('algorithm')}")
    original = sealed.get("original_type")
    if original is not None and original != kind:
        raise InvalidNotification(f"format: a {original} callback, not a {kind} one")
    associated = sealed.get("associated_data") or ""
    if not isinstance(associated, str):
        raise InvalidNotification("format: associated_data is not text")
    try:
        plain = resource.decrypt(apiv3_key, _text(sealed, "nonce"), associated, _text(sealed, "ciphertext"))
    except resource.ResourceError as exc:
        raise InvalidNotification("resource: does not decrypt with the APIv3 key") from exc
    return event, _object(plain, "resource")


def parse(
    body: bytes,
    headers: Mapping[str, str],
    *,
    mchid: str,
    appid: str,
    apiv3_key: str,
    keys: Mapping[str, rsa.RSAPublicKey],
    now: datetime,
) -> ChannelNotification:
    event, trade = opened(body, headers, apiv3_key=apiv3_key, keys=keys, now=now, kind="transaction")
    event_id = _text(event, "id")
    if trade.get("mchid") != mchid:
        raise InvalidNotification("merchant: not this merchant's")
    if trade.get("appid") != appid:
        raise InvalidNotification("app id: not this app's")
    state = _text(trade, "trade_state")
    status = fields.STATUS_MAP.get(state)
    if status is None:
        raise InvalidNotification(f"format: unknown trade_state {state}")
    try:
        amount_fen = fields.total_fen(trade.get("amount"))
        success_time = trade.get("success_time")
        paid_at = fields.parse_time(str(success_time)) if success_time else None
    except ValueError as exc:
        raise InvalidNotification(f"format: {exc}") from exc
    out_trade_no = _text(trade, "out_trade_no")
    raw = {
        "id": event_id,
        "event_type": str(event.get("event_type", "")),
        "create_time": str(event.get("create_time", "")),
        "out_trade_no": out_trade_no,
        "transaction_id": str(trade.get("transaction_id", "")),
        "trade_type": str(trade.get("trade_type", "")),
        "trade_state": state,
        "amount_total": str(amount_fen),
        "success_time": str(success_time or ""),
        "mchid": mchid,
        "appid": appid,
    }
    timestamp = header(headers, "Wechatpay-Timestamp")
    return ChannelNotification(
        event_id=event_id,
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        app_id=appid,
        status=status,
        provider_trade_no=str(trade.get("transaction_id") or "") or None,
        paid_at=paid_at if status == "succeeded" else None,
        raw=raw,
        sent_at=datetime.fromtimestamp(int(str(timestamp)), UTC),
    )
