"""The signing certificate from settings; production never signs with generated keys."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from shebao.certificates import signing
from shebao.config import ConfigError, Settings

STRONG = "x" * 40


def _production(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": STRONG,
        "database_url": "postgresql+psycopg://shebao@db:5432/shebao",
        "face_provider": "acme-face",
        "sms_provider": "acme-sms",
        "phone_provider": "alipay",
        "data_dir": tmp_path,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    """A key and a certificate chain as a deployment would configure them (here from a dev bundle)."""
    bundle = signing._new_dev_bundle()
    end = bundle.index(b"-----END PRIVATE KEY-----") + len(b"-----END PRIVATE KEY-----")
    key, chain = tmp_path / "signer-key.pem", tmp_path / "signer-chain.pem"
    key.write_bytes(bundle[:end])
    chain.write_bytes(bundle[end:])
    return key, chain


def test_production_without_signing_issues_no_certificate_and_never_generates_keys(tmp_path: Path) -> None:
    settings = _production(tmp_path)
    settings.check_for_production()  # the service starts; certificates are simply not offered
    assert settings.certificates_enabled is False
    with pytest.raises(ConfigError, match="SHEBAO_CERTIFICATE_SIGNING_KEY"):
        signing.material(settings)
    assert not (tmp_path / "keys").exists()


def test_production_refuses_half_or_unreadable_signing_settings(tmp_path: Path) -> None:
    key, chain = _files(tmp_path)
    with pytest.raises(ConfigError, match="SHEBAO_CERTIFICATE_SIGNING_CERT"):
        _production(tmp_path, certificate_signing_key=str(key)).check_for_production()
    with pytest.raises(ConfigError, match="文件不存在"):
        _production(
            tmp_path,
            certificate_signing_key=str(tmp_path / "missing.pem"),
            certificate_signing_cert=str(chain),
        ).check_for_production()


def test_production_signs_with_the_configured_certificate(tmp_path: Path) -> None:
    key, chain = _files(tmp_path)
    settings = _production(
        tmp_path, certificate_signing_key=str(key), certificate_signing_cert=chain.read_text()
    )
    settings.check_for_production()
    assert settings.certificates_enabled is True
    material = signing.material(settings)
    from shebao.certificates.content import Content
    from shebao.certificates.document import render_pdf

    content = Content(
        "SBZM202511200000000001",
        "张三",
        "110101199003071823",
        "居民身份证",
        "国家税务总局北京市西城区税务局",
        "城乡居民基本医疗保险费",
        "2026-01",
        "2026-12",
        "2025-11-20",
        0,
        "零元整",
        "1234567890123452",
        "http://127.0.0.1:8000/verify",
        [],
    )
    signed = signing.sign(render_pdf(content), material, reason="测试", location="北京")
    [embedded] = PdfFileReader(BytesIO(signed)).embedded_signatures
    context = ValidationContext(trust_roots=[material.chain[-1]], allow_fetching=False)
    status = signing.outside_event_loop(lambda: validate_pdf_signature(embedded, context))
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
