"""AEAD_AES_256_GCM resources (callbacks' `resource`, certificates): the APIv3 key, a 12-character nonce,
the associated data, base64 ciphertext with the 16-byte tag appended."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALGORITHM = "AEAD_AES_256_GCM"


class ResourceError(ValueError):
    """The resource does not decrypt: wrong key, tampered ciphertext or associated data."""


def encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: str) -> str:
    sealed = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), plaintext.encode("utf-8"), associated_data.encode("utf-8")
    )
    return base64.b64encode(sealed).decode("ascii")


def decrypt(apiv3_key: str, nonce: str, associated_data: str, ciphertext: str) -> str:
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
        plain = AESGCM(apiv3_key.encode("utf-8")).decrypt(
            nonce.encode("utf-8"), sealed, associated_data.encode("utf-8")
        )
        return plain.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ResourceError("resource does not decrypt") from exc
