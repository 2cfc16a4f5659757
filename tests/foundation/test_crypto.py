from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import text

from shebao.kit.crypto import CryptoError, Vault
from shebao.runtime import Runtime

ID = "110105194912310021"


def test_round_trip_and_fresh_nonce_each_time() -> None:
    vault = Vault.from_secret("k" * 40)
    first, second = vault.encrypt(ID), vault.encrypt(ID)
    assert first != second
    assert ID.encode() not in first
    assert vault.decrypt(first) == ID
    assert vault.decrypt(second) == ID


def test_tampered_ciphertext_and_wrong_key_are_refused() -> None:
    vault = Vault.from_secret("k" * 40)
    blob = bytearray(vault.encrypt(ID))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        vault.decrypt(bytes(blob))
    with pytest.raises(InvalidTag):
        Vault.from_secret("other" * 10).decrypt(vault.encrypt(ID))
    with pytest.raises(CryptoError):
        vault.decrypt(b"\x09" + bytes(blob[1:]))


def test_blind_index_is_equal_for_equal_values_and_keyed() -> None:
    vault = Vault.from_secret("k" * 40)
    assert vault.blind_index(ID, kind="id") == vault.blind_index(ID, kind="id")
    assert vault.blind_index(ID, kind="id") != vault.blind_index(ID, kind="phone")
    assert vault.blind_index(ID, kind="id") != vault.blind_index("110105194912310022", kind="id")
    assert vault.blind_index(ID, kind="id") != Vault.from_secret("other" * 10).blind_index(ID, kind="id")
    assert len(vault.blind_index(ID, kind="id")) == 64


def test_blind_index_is_hmac_sha256_of_kind_and_value() -> None:
    """Stored indexes must keep matching: the reused, copied HMAC gives what a fresh one gives."""
    vault = Vault.from_secret("k" * 40)
    for kind, value in [("document", "resident_id:" + ID), ("phone", "13900000000"), ("document", "")]:
        fresh = hmac.HMAC(vault.index_key, hashes.SHA256())
        fresh.update(kind.encode() + b"\x00" + value.encode())
        assert vault.blind_index(value, kind=kind) == fresh.finalize().hex()


def test_signatures_verify_only_unchanged_messages() -> None:
    vault = Vault.from_secret("k" * 40)
    signature = vault.sign(b"message")
    assert vault.verify(b"message", signature) is True
    assert vault.verify(b"messagE", signature) is False


def test_encrypted_column_stores_no_plaintext(runtime: Runtime) -> None:
    from sqlalchemy import Column, LargeBinary, MetaData, Table, select

    from shebao.kit.crypto import EncryptedText

    table = Table("crypto_probe", MetaData(), Column("value", EncryptedText), Column("raw", LargeBinary))
    with runtime.db.engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert().values(value=ID))
        raw = conn.execute(text("SELECT value FROM crypto_probe")).scalar_one()
        assert ID.encode() not in bytes(raw)
        assert conn.execute(select(table.c.value)).scalar_one() == ID
        table.drop(conn)
