"""Production points the bank adapter at the bank front end, and refuses to start without its keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels.bank import bank_adapter, keys
from shebao.config import ConfigError, Settings
from shebao.payments.registry import configured_methods

FRONT_END = "https://tips-front.example.gov.cn/shebao"


def _production(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": "x" * 40,
        "database_url": "postgresql+psycopg://shebao@db:5432/shebao",
        "face_provider": "acme-face",
        "sms_provider": "acme-sms",
        "phone_provider": "alipay",
        "data_dir": tmp_path,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _pem(tmp_path: Path, name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp_path / f"{name}.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return str(private), public.decode()


def test_production_without_a_bank_gateway_offers_no_agreement_payment(tmp_path: Path) -> None:
    settings = _production(tmp_path)
    assert settings.bank_enabled is False and "agreement" not in configured_methods(settings)


def test_production_refuses_a_bank_gateway_without_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SHEBAO_BANK_PRIVATE_KEY, SHEBAO_BANK_PUBLIC_KEY"):
        _production(tmp_path, bank_gateway=FRONT_END).check_for_production()
    with pytest.raises(ConfigError, match="开发密钥"):
        keys.private_key(_production(tmp_path, bank_gateway=FRONT_END))
    assert not (tmp_path / "keys").exists()


def test_production_points_the_adapter_at_the_front_end(tmp_path: Path) -> None:
    private, _ = _pem(tmp_path, "ours")
    _, bank_public = _pem(tmp_path, "bank")
    settings = _production(
        tmp_path,
        bank_gateway=FRONT_END,
        bank_private_key=private,
        bank_public_key=bank_public,
        bank_node_code="11101020000",
    )
    settings.check_for_production()
    adapter = bank_adapter(settings)
    assert (adapter.gateway, adapter.node_code) == (FRONT_END, "11101020000")
    assert keys.is_sandbox_gateway(settings) is False


def test_dev_uses_the_sandbox_bank_and_generated_keys(tmp_path: Path) -> None:
    settings = Settings(env="dev", data_dir=tmp_path, base_url="http://127.0.0.1:8000")
    assert keys.gateway(settings) == "http://127.0.0.1:8000/sandbox/bank/gateway"
    assert keys.is_sandbox_gateway(settings)
    assert keys.app_public_key(settings).public_numbers() != keys.bank_public_key(settings).public_numbers()
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "bank_app_private.pem",
        "bank_sandbox_private.pem",
    ]
