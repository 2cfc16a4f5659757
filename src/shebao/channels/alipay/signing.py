"""Alipay RSA2 signatures (SHA256withRSA, PKCS#1 v1.5, base64) with `cryptography`.

What is signed (Alipay open platform, 签名与验签):
- requests: every non-empty parameter except `sign`, sorted by name, joined as `k=v&k=v` (raw values);
- asynchronous notifications and the browser's return parameters: the same, also without `sign_type`;
- synchronous answers: the JSON text of the `<method>_response` value, exactly as it appears in the body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import rsa_sha256

SIGN_TYPE = "RSA2"
REQUEST_UNSIGNED = frozenset({"sign"})
NOTIFICATION_UNSIGNED = frozenset({"sign", "sign_type"})


def signing_string(params: Mapping[str, str], *, unsigned: Collection[str] = REQUEST_UNSIGNED) -> str:
    return "&".join(
        f"{name}={params[name]}" for name in sorted(params) if name not in unsigned and params[name]
    )


def sign(message: str, key: rsa.RSAPrivateKey) -> str:
    return rsa_sha256.sign(message.encode("utf-8"), key)


def verify(message: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    return rsa_sha256.verify(message.encode("utf-8"), signature, key)


def signed(
    params: Mapping[str, str], key: rsa.RSAPrivateKey, *, unsigned: Collection[str] = REQUEST_UNSIGNED
) -> dict[str, str]:
    """The parameters with their `sign` added."""
    return {**params, "sign": sign(signing_string(params, unsigned=unsigned), key)}


def verify_params(
    params: Mapping[str, str], key: rsa.RSAPublicKey, *, unsigned: Collection[str] = REQUEST_UNSIGNED
) -> bool:
    signature = params.get("sign")
    return bool(signature) and verify(signing_string(params, unsigned=unsigned), str(signature), key)


def biz_json(content: Mapping[str, Any] | list[Any]) -> str:
    """`biz_content` as Alipay's SDKs write it: compact JSON, Chinese kept as is."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def signed_response(response_key: str, content: Mapping[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A synchronous answer body: `{"<response_key>":{...},"sign":"..."}`, the object's text signed."""
    text = biz_json(content)
    return "{" + json.dumps(response_key) + ":" + text + ',"sign":' + json.dumps(sign(text, key)) + "}"


def response_text(body: str, response_key: str) -> str | None:
    """The exact JSON text of `response_key`'s value in an answer body (what Alipay signed), or None."""
    match = re.search(r'"' + re.escape(response_key) + r'"\s*:\s*', body)
    if match is None:
        return None
    try:
        _, end = json.JSONDecoder().raw_decode(body, match.end())
    except json.JSONDecodeError:
        return None
    return body[match.end() : end]
