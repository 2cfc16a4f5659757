"""Alipay asynchronous notifications (异步通知): verified over the raw form body, then read.

The amount is read, not judged: the core compares it with its payment. Everything that decides whether
the notification is Alipay's and ours — signature, sign type, app id — is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.alipay import fields, signing
from shebao.channels.base import ChannelNotification, InvalidNotification
from shebao.kit.money import MoneyError

FORM_TYPE = "application/x-www-form-urlencoded"
REQUIRED = ("notify_id", "app_id", "out_trade_no", "total_amount", "trade_status", "sign")


def form_params(body: bytes) -> dict[str, str]:
    """A urlencoded UTF-8 form as a dict; a repeated or malformed field makes it invalid."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=200,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification("format: not a UTF-8 urlencoded form") from exc
    params = dict(pairs)
    if len(params) != len(pairs):
        raise InvalidNotification("format: a field appears twice")
    return params


def _content_type(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return None


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    text = params.get(name)
    if not text:
        return None
    try:
        return fields.parse_time(text)
    except ValueError as exc:
        raise InvalidNotification(f"format: {name} is not a time") from exc


def parse(
    body: bytes, headers: Mapping[str, str], *, app_id: str, key: rsa.RSAPublicKey
) -> ChannelNotification:
    content_type = _content_type(headers)
    if content_type is not None and content_type != FORM_TYPE:
        raise InvalidNotification(f"format: content type {content_type}")
    params = form_params(body)
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        raise InvalidNotification("format: missing " + ", ".join(missing))
    if params.get("sign_type", signing.SIGN_TYPE) != signing.SIGN_TYPE:
        raise InvalidNotification("signature: sign_type is not RSA2")
    if params.get("charset", "utf-8").lower() != "utf-8":
        raise InvalidNotification("format: charset is not utf-8")
    if not signing.verify_params(params, key, unsigned=signing.NOTIFICATION_UNSIGNED):
        raise InvalidNotification("signature: does not verify with Alipay's public key")
    if params["app_id"] != app_id:
        raise InvalidNotification("app id: not this app's")
    status = fields.STATUS_MAP.get(params["trade_status"])
    if status is None:
        raise InvalidNotification(f"format: unknown trade_status {params['trade_status']}")
    try:
        amount_fen = fields.fen(params["total_amount"])
    except MoneyError as exc:
        raise InvalidNotification("format: total_amount is not an amount") from exc
    return ChannelNotification(
        event_id=params["notify_id"],
        out_trade_no=params["out_trade_no"],
        amount_fen=amount_fen,
        app_id=params["app_id"],
        status=status,
        provider_trade_no=params.get("trade_no") or None,
        paid_at=_time(params, "gmt_payment") if status == "succeeded" else None,
        raw=params,
        sent_at=_time(params, "notify_time"),
    )
