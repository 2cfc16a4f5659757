"""What the four channels read from settings: ids, gateways, keys and certificates, each from its
setting or, outside production, a dev value (keys generated once into `{data_dir}/keys/`, the gateway
this deployment's sandbox); and what production needs of each channel.

A key setting may hold PEM text, a path to a PEM file, or a bare base64 body (what providers' consoles
show). Each channel's `keys.py` declares what it needs (`Identifier`, `Gateway`, `PrivateKey`,
`PublicKey`, `require_in_production`); reading, generating and checking are this module's.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.config import ConfigError, Settings, register_production_check
from shebao.kit.files import write_once


def read(value: str, *, what: str) -> tuple[bytes, bool]:
    """(data, is_pem) from PEM text, a PEM file path or a bare base64 body."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode("ascii"), True
    try:
        path = Path(text).expanduser()
        if path.is_file():
            return path.read_bytes(), True
    except OSError:
        pass  # too long to be a path: a key body
    if text.startswith("MI"):  # DER (a SEQUENCE) in base64
        try:
            return base64.b64decode("".join(text.split()), validate=True), False
        except (binascii.Error, ValueError):
            pass
    raise ConfigError(f"{what}格式不正确或文件不存在：应为 PEM 文本、PEM 文件路径或 base64 内容")


@lru_cache(maxsize=32)
def private_key(value: str, what: str) -> rsa.RSAPrivateKey:
    data, is_pem = read(value, what=what)
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if is_pem
            else serialization.load_der_private_key(data, password=None)
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{what}无法读取（需要未加密的 RSA 私钥）") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{what}必须是 RSA 私钥")
    return key


def public_key(value: str, what: str) -> rsa.RSAPublicKey:
    """An RSA public key, and only a key (no certificate)."""
    key, certificate = public_key_or_certificate(value, what)
    if certificate is not None:
        raise ConfigError(f"{what}必须是 RSA 公钥")
    return key


@lru_cache(maxsize=32)
def certificates(value: str, what: str) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM text or file (platform certificates rotate: old and new side by side)."""
    data, is_pem = read(value, what=what)
    try:
        found = x509.load_pem_x509_certificates(data) if is_pem else [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ConfigError(f"{what}无法读取") from exc
    for certificate in found:
        if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
            raise ConfigError(f"{what}必须是 RSA 证书")
    return tuple(found)


@lru_cache(maxsize=32)
def public_key_or_certificate(value: str, what: str) -> tuple[rsa.RSAPublicKey, x509.Certificate | None]:
    """An RSA public key, given as a public key or as a certificate (then the certificate too)."""
    data, is_pem = read(value, what=what)
    certificate: x509.Certificate | None = None
    try:
        if data.lstrip().startswith(b"-----BEGIN CERTIFICATE") or not is_pem and _is_certificate(data):
            certificate = (
                x509.load_pem_x509_certificate(data) if is_pem else x509.load_der_x509_certificate(data)
            )
            key: object = certificate.public_key()
        else:
            key = (
                serialization.load_pem_public_key(data) if is_pem else serialization.load_der_public_key(data)
            )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{what}无法读取") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError(f"{what}必须是 RSA 公钥或证书")
    return key, certificate


def _is_certificate(der: bytes) -> bool:
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        return False
    return True


def dev_private_key(settings: Settings, name: str, *, what: str) -> rsa.RSAPrivateKey:
    """A key generated into `{data_dir}/keys/{name}` on first use; refused in production."""
    if settings.is_production:
        raise ConfigError(f"生产环境不能使用自动生成的开发密钥：请配置{what}。")
    path = _dev_file(settings, name, _new_private_pem)
    return private_key(str(path), what)


def dev_secret(settings: Settings, name: str, *, what: str) -> str:
    """A 32-character secret (e.g. WeChat Pay's APIv3 key) generated on first use; refused in production."""
    if settings.is_production:
        raise ConfigError(f"生产环境不能使用自动生成的开发密钥：请配置{what}。")
    return _dev_file(settings, name, _new_secret).read_text("ascii").strip()


def _new_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _new_secret() -> bytes:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32)).encode("ascii")


def _dev_file(settings: Settings, name: str, make: Callable[[], bytes]) -> Path:
    path = (settings.data_dir / "keys" / name).resolve()
    if not path.exists():
        write_once(path, make())
    return path


@dataclass(frozen=True)
class Identifier:
    """An id a setting holds (app id, merchant id, certificate serial); unset, the provider's test value
    (`dev`), which production refuses when it says why (`refusal`)."""

    setting: str
    dev: str
    refusal: str | None = None

    def value(self, settings: Settings) -> str:
        value: str | None = getattr(settings, self.setting)
        if value:
            return value
        if settings.is_production and self.refusal:
            raise ConfigError(self.refusal)
        return self.dev


@dataclass(frozen=True)
class Gateway:
    """Where a channel sends its requests: the setting; unset, the provider's gateway in production (or,
    without one, a refusal) and this deployment's sandbox (`sandbox_path`) elsewhere."""

    setting: str
    sandbox_path: str
    production: str | None = None
    refusal: str = ""
    strip_slash: bool = True  # the adapter appends paths to it

    def url(self, settings: Settings) -> str:
        value: str | None = getattr(settings, self.setting)
        if value:
            return value.rstrip("/") if self.strip_slash else value
        if settings.is_production:
            if self.production is None:
                raise ConfigError(self.refusal)
            return self.production
        return settings.base_url.rstrip("/") + self.sandbox_path

    def is_sandbox(self, settings: Settings) -> bool:
        """True when the adapter talks to this deployment's own sandbox (never in production)."""
        return not settings.is_production and urlsplit(self.url(settings)).path.endswith(self.sandbox_path)


@dataclass(frozen=True)
class PrivateKey:
    """An RSA private key held by a setting (`setting`, a Settings field; None for the sandbox's own keys,
    which are only ever generated). Unset outside production: generated once into
    `{data_dir}/keys/{dev_file}`; in production that is refused, naming what to configure (`configure`)."""

    setting: str | None
    what: str
    dev_file: str
    configure: str

    def load(self, settings: Settings) -> rsa.RSAPrivateKey:
        value: str | None = getattr(settings, self.setting) if self.setting else None
        if value:
            return private_key(value, self.what)
        return dev_private_key(settings, self.dev_file, what=self.configure)

    def public_key(self, settings: Settings) -> rsa.RSAPublicKey:
        """Its public half: what the other side (or the sandbox playing it) verifies with."""
        return self.load(settings).public_key()


@dataclass(frozen=True)
class PublicKey:
    """A provider's RSA public key held by a setting (a certificate too when `certificate_allowed`);
    unset, the public half of the sandbox's key (`sandbox`), so the sandbox signs what we verify."""

    setting: str
    what: str
    sandbox: PrivateKey
    certificate_allowed: bool = True

    def load(self, settings: Settings) -> rsa.RSAPublicKey:
        value: str | None = getattr(settings, self.setting)
        if not value:
            return self.sandbox.load(settings).public_key()
        if self.certificate_allowed:
            return public_key_or_certificate(value, self.what)[0]
        return public_key(value, self.what)


def require_in_production(
    channel: str, needs: str, settings: Sequence[str], loads: Sequence[Callable[[Settings], object]]
) -> Callable[[Settings], None]:
    """Register the channel's production check with `config`: when the channel is enabled
    (`Settings.{channel}_enabled`), every one of `settings` (Settings fields, named as their SHEBAO_*
    variables) must be set, and every one of `loads` must load. `needs` says what in the refusal
    (生产环境启用{needs}：…)."""

    def check(configured: Settings) -> None:
        missing = [f"SHEBAO_{name.upper()}" for name in settings if not getattr(configured, name)]
        if missing:
            raise ConfigError(f"生产环境启用{needs}：" + ", ".join(missing) + " is missing.")
        for load in loads:
            load(configured)

    register_production_check(
        channel, check, applies=lambda configured: getattr(configured, f"{channel}_enabled")
    )
    return check
