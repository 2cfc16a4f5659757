"""Personal data at rest: AES-256-GCM encryption and a keyed HMAC blind index, both from `cryptography`.

Keys are derived from `SHEBAO_SECRET_KEY` with HKDF, one key per purpose, so that the blind index
reveals nothing about the encryption key and vice versa. Ciphertexts carry a version byte so that a
key rotation can tell old from new.
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_VERSION = b"\x01"
_NONCE_BYTES = 12


class CryptoError(RuntimeError):
    pass


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shebao/v1", info=purpose).derive(
        secret.encode("utf-8")
    )


@dataclass(frozen=True)
class Vault:
    encryption_key: bytes
    index_key: bytes
    signing_key: bytes
    # Built once from the keys (an import encrypts and indexes hundreds of thousands of values): the
    # AES-GCM object with its key schedule, and the HMAC keyed once, copied for each value.
    _aead: AESGCM = field(init=False, repr=False, compare=False)
    _index_mac: std_hmac.HMAC = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_aead", AESGCM(self.encryption_key))
        object.__setattr__(self, "_index_mac", std_hmac.new(self.index_key, digestmod=hashlib.sha256))

    @classmethod
    def from_secret(cls, secret: str) -> Vault:
        return cls(
            encryption_key=_derive(secret, b"personal-data-encryption"),
            index_key=_derive(secret, b"blind-index"),
            signing_key=_derive(secret, b"token-signing"),
        )

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context)
        return _VERSION + nonce + sealed

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> str:
        if not blob or blob[:1] != _VERSION:
            raise CryptoError("unknown ciphertext version")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, context).decode("utf-8")

    def blind_index(self, value: str, *, kind: str) -> str:
        """Equal inputs of one kind give equal indexes; nothing about the value can be read back."""
        mac = self._index_mac.copy()  # HMAC-SHA256 keyed with index_key, as ever
        mac.update(kind.encode("utf-8") + b"\x00" + value.encode("utf-8"))
        return mac.hexdigest()

    def sign(self, message: bytes) -> bytes:
        mac = hmac.HMAC(self.signing_key, hashes.SHA256())
        mac.update(message)
        return mac.finalize()

    def verify(self, message: bytes, signature: bytes) -> bool:
        mac = hmac.HMAC(self.signing_key, hashes.SHA256())
        mac.update(message)
        try:
            mac.verify(signature)
        except Exception:
            return False
        return True


_vault: Vault | None = None


def configure(secret: str) -> Vault:
    global _vault
    _vault = Vault.from_secret(secret)
    return _vault


def vault() -> Vault:
    if _vault is None:
        raise CryptoError("crypto not configured: call shebao.kit.crypto.configure(secret) at start-up")
    return _vault


def blind_index(value: str, *, kind: str) -> str:
    return vault().blind_index(value, kind=kind)


class EncryptedText(TypeDecorator[str]):
    """A column whose value is AES-GCM encrypted on the way in and decrypted on the way out."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else vault().encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else vault().decrypt(bytes(value))
