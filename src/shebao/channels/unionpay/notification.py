"""UnionPay back notifications (后台通知, `backUrl`): verified over every field with UnionPay's key.

UnionPay 5.1.0 also sends its signing certificate (`signPubKeyCert`); it is never trusted here: the
configured key verifies. The amount is read, not judged: the core compares it with its payment.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.base import ChannelNotification, InvalidNotification
from shebao.channels.unionpay import fields, signing

FORM_TYPE = "application/x-www-form-urlencoded"
REQUIRED = (
    "version",
    "signMethod",
    "merId",
    "orderId",
    "txnType",
    "txnTime",
    "txnAmt",
    "respCode",
    "queryId",
)


def content_type(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return None


def verified_form(
    body: bytes, headers: Mapping[str, str], required: tuple[str, ...], *, mer_id: str, key: rsa.RSAPublicKey
) -> dict[str, str]:
    """A back notification's form (a payment's or a 退货's), with every `required` field, verified over
    every field with UnionPay's key and addressed to this merchant."""
    kind = content_type(headers)
    if kind is not None and kind != FORM_TYPE:
        raise InvalidNotification(f"format: content type {kind}")
    try:
        params = fields.form(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification("format: not a UTF-8 urlencoded form") from exc
    missing = [name for name in (*required, "signature") if not params.get(name)]
    if missing:
        raise InvalidNotification("format: missing " + ", ".join(missing))
    if params["signMethod"] != signing.SIGN_METHOD:
        raise InvalidNotification("signature: signMethod is not 01")
    if not signing.verify(params, key):
        raise InvalidNotification("signature: does not verify with UnionPay's key")
    if params["merId"] != mer_id:
        raise InvalidNotification("merchant: not this merchant's")
    return params


def amount_fen(params: Mapping[str, str]) -> int:
    try:
        return fields.fen(params["txnAmt"])
    except ValueError as exc:
        raise InvalidNotification("format: txnAmt is not an amount") from exc


def unsigned(params: Mapping[str, str]) -> dict[str, str]:
    """What is kept of a notification: every field but the signature and UnionPay's certificate."""
    return {name: value for name, value in params.items() if name not in ("signature", "signPubKeyCert")}


def parse(
    body: bytes, headers: Mapping[str, str], *, mer_id: str, key: rsa.RSAPublicKey
) -> ChannelNotification:
    params = verified_form(body, headers, REQUIRED, mer_id=mer_id, key=key)
    if params["txnType"] != fields.TXN_CONSUME:
        raise InvalidNotification(f"format: txnType {params['txnType']} is not a payment")
    # A failed try does not end the order (the payer may try again until payTimeout): only a success counts.
    succeeded = params["respCode"] in fields.SUCCESS_CODES
    return ChannelNotification(
        event_id=f"{params['queryId']}:{params['respCode']}",
        out_trade_no=params["orderId"],
        amount_fen=amount_fen(params),
        app_id=params["merId"],
        status="succeeded" if succeeded else "pending",
        provider_trade_no=params["queryId"],
        paid_at=None,  # UnionPay's traceTime has no year; the core records when it learnt of it
        raw=unsigned(params),
    )
