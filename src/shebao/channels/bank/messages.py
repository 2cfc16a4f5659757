"""Signed messages of the bank front end: a JSON envelope (head + body), RSA-SHA256 over the raw bytes.

    {"head": {"version", "msg_type", "msg_id", "sender", "receiver", "sent_at", "answer_to"},
     "body": {...}}

The signature (PKCS#1 v1.5, base64) travels in the `X-Bank-Signature` header and covers the body bytes
exactly as sent. An answer names the request it answers (`answer_to`), so it cannot be replayed for
another message; `sent_at` must be fresh.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import rsa_sha256
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_digits

VERSION = "1.0"
SIGNATURE_HEADER = "X-Bank-Signature"
FRONT_END = "TIPS"  # the front end's node code: the receiver of requests, the sender of answers
MAX_SKEW = timedelta(minutes=5)
MAX_BYTES = 64 * 1024


class MessageError(ValueError):
    """Not a well-formed, correctly signed message."""


@dataclass(frozen=True)
class Head:
    msg_type: str
    msg_id: str
    sender: str
    receiver: str
    sent_at: str  # ISO 8601 with offset, Asia/Shanghai
    answer_to: str | None = None
    version: str = VERSION


@dataclass(frozen=True)
class Message:
    head: Head
    body: dict[str, Any]

    def sent_time(self) -> datetime:
        return datetime.fromisoformat(self.head.sent_at)


def new_msg_id(prefix: str, now: datetime) -> str:
    """A message id: two letters, the local time, randomness (26 characters, like out_trade_no)."""
    return prefix + to_shanghai(now).strftime("%Y%m%d%H%M%S") + random_digits(10)


def stamp(now: datetime) -> str:
    return to_shanghai(now).isoformat(timespec="seconds")


def encode(message: Message) -> bytes:
    document = {"head": asdict(message.head), "body": message.body}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


sign, verify = rsa_sha256.sign, rsa_sha256.verify  # over a message's encoded bytes


def decode(raw: bytes) -> Message:
    if len(raw) > MAX_BYTES:
        raise MessageError("报文过长")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageError("报文不是有效的 UTF-8 JSON") from exc
    if not isinstance(document, dict):
        raise MessageError("报文应为 JSON 对象")
    head, body = document.get("head"), document.get("body")
    if not isinstance(head, dict) or not isinstance(body, dict):
        raise MessageError("报文缺少 head 或 body")
    fields = ("msg_type", "msg_id", "sender", "receiver", "sent_at")
    if any(not isinstance(head.get(name), str) or not head.get(name) for name in fields):
        raise MessageError("报文头不完整")
    answer_to = head.get("answer_to")
    if head.get("version") != VERSION or not (answer_to is None or isinstance(answer_to, str)):
        raise MessageError("报文版本或应答标识不正确")
    parsed = Message(Head(**{name: head[name] for name in fields}, answer_to=answer_to), body)
    try:
        sent = parsed.sent_time()
    except ValueError as exc:
        raise MessageError("报文时间格式不正确") from exc
    if sent.tzinfo is None:
        raise MessageError("报文时间缺少时区")
    return parsed


def read_signed(raw: bytes, signature: str | None, key: rsa.RSAPublicKey, *, now: datetime) -> Message:
    """A message whose signature verifies and whose time is within MAX_SKEW of `now`."""
    if not signature or not verify(raw, signature, key):
        raise MessageError("报文验签失败")
    message = decode(raw)
    if abs(message.sent_time() - now) > MAX_SKEW:
        raise MessageError("报文时间与本地时间相差过大")
    return message
