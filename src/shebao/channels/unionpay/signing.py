"""UnionPay 5.1.0 signatures (signMethod=01) with `cryptography`.

Every field but `signature`, sorted by name, joined as `k=v&k=v` (raw values); its SHA-256 digest as
lower-case hex; that hex text signed SHA256withRSA (PKCS#1 v1.5), base64. The same for requests,
answers and back notifications.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import rsa_sha256

SIGN_METHOD = "01"


def signing_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "signature")


def _digest(params: Mapping[str, str]) -> bytes:
    return hashlib.sha256(signing_string(params).encode("utf-8")).hexdigest().encode("ascii")


def sign(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    return rsa_sha256.sign(_digest(params), key)


def signed(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The fields with their `signature` added (empty fields are left out, as UnionPay's SDKs send)."""
    present = {name: value for name, value in params.items() if value and name != "signature"}
    return {**present, "signature": sign(present, key)}


def verify(params: Mapping[str, str], key: rsa.RSAPublicKey) -> bool:
    signature = params.get("signature")
    if not signature:
        return False
    return rsa_sha256.verify(_digest(params), signature, key)
