"""WECHATPAY2-SHA256-RSA2048 (SHA256withRSA, PKCS#1 v1.5, base64) with `cryptography`.

What is signed (WeChat Pay API v3, 签名生成 / 签名验证):
- requests: `METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`, URL being the path and query without the host;
- answers and callbacks: `TIMESTAMP\\nNONCE\\nBODY\\n` with the `Wechatpay-*` headers' values;
- the mini program's pay parameters: `appId\\ntimeStamp\\nnonceStr\\npackage\\n`.
"""

from __future__ import annotations

import re
import secrets
import string

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import rsa_sha256

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')
_NONCE_ALPHABET = string.ascii_uppercase + string.digits
_UNIX_SECONDS = re.compile(r"[0-9]{1,10}")  # ASCII digits only, and a year datetime can hold


def unix_seconds(text: str) -> int | None:
    """A `Wechatpay-Timestamp` / Authorization timestamp as an int, or None when it is not one."""
    return int(text) if _UNIX_SECONDS.fullmatch(text) else None


def new_nonce() -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(32))


def sign(message: str, key: rsa.RSAPrivateKey) -> str:
    return rsa_sha256.sign(message.encode("utf-8"), key)


def verify(message: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    return rsa_sha256.verify(message.encode("utf-8"), signature, key)


def request_message(method: str, url: str, timestamp: str, nonce: str, body: str) -> str:
    return f"{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n"


def answer_message(timestamp: str, nonce: str, body: str) -> str:
    return f"{timestamp}\n{nonce}\n{body}\n"


def authorization(
    *,
    mchid: str,
    serial_no: str,
    key: rsa.RSAPrivateKey,
    method: str,
    url: str,
    body: str,
    timestamp: str,
    nonce: str,
) -> str:
    signature = sign(request_message(method, url, timestamp, nonce, body), key)
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str] | None:
    """The fields of an Authorization header of this schema, or None when it is not one."""
    schema, _, rest = header.strip().partition(" ")
    if schema != SCHEMA:
        return None
    fields = dict(_AUTH_FIELD.findall(rest))
    needed = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    return fields if all(fields.get(name) for name in needed) else None


def pay_sign(appid: str, timestamp: str, nonce: str, package: str, key: rsa.RSAPrivateKey) -> str:
    return sign(f"{appid}\n{timestamp}\n{nonce}\n{package}\n", key)
