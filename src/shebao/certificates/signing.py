"""The tax office's signing certificate, and the PAdES signature of every certificate PDF (pyHanko).

Production takes the key and the certificate (followed by its chain) from settings and refuses to
start without them. Elsewhere a development CA and a signer it issued are generated once into
`{data_dir}/keys/certificate-signing.pem` (one file, so concurrent first uses agree on one set).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from shebao.config import ConfigError, Settings
from shebao.kit.files import write_once

T = TypeVar("T")
DEV_FILE = "certificate-signing.pem"
KEY_SETTING = "SHEBAO_CERTIFICATE_SIGNING_KEY"
CERT_SETTING = "SHEBAO_CERTIFICATE_SIGNING_CERT"


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses (and validates) the private key on every signature, twice per
    document: half a second for RSA-2048. This one signs RSA PKCS#1 v1.5 with the key loaded once."""

    def __init__(self, loaded: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loaded = loaded

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":
            return bytes(super().sign_raw(data, digest_algorithm))
        return self._loaded.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@dataclass(frozen=True)
class SigningMaterial:
    key: asn1_keys.PrivateKeyInfo
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]  # issuers, the root last
    loaded_key: rsa.RSAPrivateKey | None  # the same key, parsed once (RSA only)

    def signer(self) -> signers.SimpleSigner:
        registry = SimpleCertificateStore.from_certs(list(self.chain))  # type: ignore[no-untyped-call]
        values = {"signing_cert": self.certificate, "signing_key": self.key, "cert_registry": registry}
        if self.loaded_key is None:
            return signers.SimpleSigner(**values)
        return _LoadedKeySigner(self.loaded_key, **values)


def _read(value: str) -> bytes:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode("ascii")
    path = Path(text).expanduser()
    if not path.is_file():
        raise ConfigError("缴费证明签名密钥或证书格式不正确或文件不存在：应为 PEM 文本或 PEM 文件路径")
    return path.read_bytes()


def _material(key_pem: bytes, certs_pem: bytes) -> SigningMaterial:
    try:
        key = load_private_key_from_pemder_data(key_pem, passphrase=None)
        certificate, *chain = list(load_certs_from_pemder_data(certs_pem))
    except (ValueError, TypeError) as exc:
        raise ConfigError("缴费证明签名密钥或证书无法读取（需要未加密的私钥和 PEM 证书）") from exc
    loaded = serialization.load_der_private_key(key.dump(), password=None)
    rsa_key = loaded if isinstance(loaded, rsa.RSAPrivateKey) else None
    return SigningMaterial(key=key, certificate=certificate, chain=tuple(chain), loaded_key=rsa_key)


@lru_cache(maxsize=8)
def _configured(key_value: str, cert_value: str) -> SigningMaterial:
    return _material(_read(key_value), _read(cert_value))


def material(settings: Settings) -> SigningMaterial:
    if settings.certificate_signing_key and settings.certificate_signing_cert:
        return _configured(settings.certificate_signing_key, settings.certificate_signing_cert)
    if settings.is_production:
        raise ConfigError(f"生产环境必须配置缴费证明签名证书：{KEY_SETTING} 与 {CERT_SETTING}。")
    return _dev_material(str((settings.data_dir / "keys" / DEV_FILE).resolve()))


def dev_root(settings: Settings) -> asn1_x509.Certificate:
    """The development CA (tests validate signatures against it)."""
    return material(settings).chain[-1]


def check_production_keys(settings: Settings) -> None:
    """Production needs the tax office's signing key and certificate, and they must load."""
    missing = [
        name
        for name, value in {
            KEY_SETTING: settings.certificate_signing_key,
            CERT_SETTING: settings.certificate_signing_cert,
        }.items()
        if not value
    ]
    if missing:
        raise ConfigError("生产环境必须配置缴费证明签名证书：" + ", ".join(missing))
    material(settings)


def outside_event_loop(work: Callable[[], T]) -> T:
    """Run pyHanko's synchronous API (it calls asyncio.run) even where this thread already runs an
    event loop: then on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign(pdf: bytes, signing: SigningMaterial, *, reason: str, location: str) -> bytes:
    """A PAdES baseline signature (B-B) over the whole document, as an incremental update."""
    return outside_event_loop(lambda: _sign(pdf, signing, reason=reason, location=location))


def _sign(pdf: bytes, signing: SigningMaterial, *, reason: str, location: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="TaxOfficeSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    out = signers.sign_pdf(writer, meta, signer=signing.signer())
    return bytes(out.getvalue())


@lru_cache(maxsize=4)
def _dev_material(path_text: str) -> SigningMaterial:
    path = Path(path_text)
    if not path.exists():
        write_once(path, _new_dev_bundle())
    data = path.read_bytes()
    key_end = data.index(b"-----END PRIVATE KEY-----") + len(b"-----END PRIVATE KEY-----")
    return _material(data[:key_end], data[key_end:])


def _new_dev_bundle() -> bytes:
    """A development root CA and a signer it issued, as one PEM: key, signer certificate, CA."""
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "shebao 开发测试（非正式）"),
            x509.NameAttribute(NameOID.COMMON_NAME, "shebao 开发测试根证书"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650 * 3))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "国家税务总局北京市税务局（开发测试）"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "社会保险费缴费证明签章（开发测试）"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650 * 2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = serialization.Encoding.PEM
    return key_pem + cert.public_bytes(pem) + ca_cert.public_bytes(pem)


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
