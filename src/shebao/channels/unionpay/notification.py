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


def parse(
    body: bytes, headers: Mapping[str, str], *, mer_id: str, key: rsa.RSAPublicKey
) -> ChannelNotification:
    kind = content_type(headers)
    if kind is not None and kind != FORM_TYPE:
        raise InvalidNotification(f"format: content type {kind}")
    try:
        params = fields.form(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification("format: not a UTF-8 urlencoded form") from exc
    missing = [name for name in (*REQUIRED, "signature") if not params.get(name)]
    if missing:
        raise InvalidNotification("format: missing " + ", ".join(missing))
    if params["signMethod"] != signing.SIGN_METHOD:
        raise InvalidNotification("signature: signMethod is not 01")
    if not signing.verify(params, key):
        raise InvalidNotification("signature: does not verify with UnionPay's key")
    if params["merId"] != mer_id:
        raise InvalidNotification("merchant: not this merchant's")
    if params["txnType"] != fields.TXN_CONSUME:
        raise InvalidNotification(f"format: txnType {params['txnType']} is not a payment")
    try:
        amount_fen = fields.fen(params["txnAmt"])
    except ValueError as exc:
        raise InvalidNotification("format: txnAmt is not an amount") from exc
    # A failed try does not end the order (the payer may try again until payTimeout): only a success counts.
    succeeded = params["respCode"] in fields.SUCCESS_CODES
    return ChannelNotification(
        event_id=f"{params['queryId']}:{params['respCode']}",
        out_trade_no=params["orderId"],
        amount_fen=amount_fen,
        app_id=params["merId"],
        status="succeeded" if succeeded else "pending",
        provider_trade_no=params["queryId"],
        paid_at=None,  # UnionPay's traceTime has no year; the core records when it learnt of it
        raw={name: value for name, value in params.items() if name not in ("signature", "signPubKeyCert")},
    )
