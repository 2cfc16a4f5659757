"""SHA256withRSA (PKCS#1 v1.5), the signature in base64: what Alipay (RSA2), WeChat Pay
(WECHATPAY2-SHA256-RSA2048), UnionPay 5.1.0 and the bank front end sign with. Each channel's
`signing` says what bytes it signs."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def sign(data: bytes, key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify(data: bytes, signature: str, key: rsa.RSAPublicKey) -> bool:
    """Whether `signature` (base64) is the key's over `data`; a malformed signature does not verify."""
    try:
        key.verify(base64.b64decode(signature, validate=True), data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
