"""Alipay app id, gateway and RSA keys from settings; dev keys generated on first use outside production.

Keys may be given as PEM text, as a path to a PEM file, or as the bare base64 body that Alipay's key
tool and open-platform console show. Two dev key pairs live in `{data_dir}/keys/`: the app's and the
sandbox "Alipay"'s, so the sandbox can verify what the app signs and sign what the app verifies.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.config import ConfigError, Settings, register_production_check

DEV_APP_ID = "9021000100000001"  # Alipay sandbox app ids start with 9021
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY_PATH = "/sandbox/alipay/gateway.do"
APP_KEY_FILE = "alipay_app_private.pem"
SANDBOX_KEY_FILE = "alipay_sandbox_private.pem"


def app_id(settings: Settings) -> str:
    if settings.alipay_app_id:
        return settings.alipay_app_id
    if settings.is_production:
        raise ConfigError("未启用支付宝：请设置 SHEBAO_ALIPAY_APP_ID。")
    return DEV_APP_ID


def gateway(settings: Settings) -> str:
    if settings.alipay_gateway:
        return settings.alipay_gateway
    if settings.is_production:
        return PRODUCTION_GATEWAY
    return settings.base_url.rstrip("/") + SANDBOX_GATEWAY_PATH


def is_sandbox_gateway(settings: Settings) -> bool:
    """True when the adapter talks to this deployment's own sandbox (never in production)."""
    return not settings.is_production and urlsplit(gateway(settings)).path.endswith(SANDBOX_GATEWAY_PATH)


def app_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    if settings.alipay_private_key:
        return load_private_key(settings.alipay_private_key)
    return _dev_key(settings, APP_KEY_FILE)


def app_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the app uploads to Alipay; the sandbox verifies the app's requests with it."""
    return app_private_key(settings).public_key()


def alipay_public_key(settings: Settings) -> rsa.RSAPublicKey:
    if settings.alipay_public_key:
        return load_public_key(settings.alipay_public_key)
    return sandbox_private_key(settings).public_key()


def sandbox_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox "Alipay"'s own key: it signs answers and notifications."""
    return _dev_key(settings, SANDBOX_KEY_FILE)


def check_production_keys(settings: Settings) -> None:
    """Production with Alipay enabled needs the app id and both real keys, and they must load."""
    named = {
        "SHEBAO_ALIPAY_APP_ID": settings.alipay_app_id,
        "SHEBAO_ALIPAY_PRIVATE_KEY": settings.alipay_private_key,
        "SHEBAO_ALIPAY_PUBLIC_KEY": settings.alipay_public_key,
    }
    missing = [name for name, value in named.items() if not value]
    private, public = settings.alipay_private_key, settings.alipay_public_key
    if missing or not private or not public:
        raise ConfigError(
            "生产环境启用支付宝必须配置正式的应用ID和密钥：" + ", ".join(missing) + " is missing."
        )
    load_private_key(private)
    load_public_key(public)


def _pem_or_der(value: str, *, what: str) -> tuple[bytes, bool]:
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
    if text.startswith("MI"):  # DER of a key (a SEQUENCE) in base64
        try:
            return base64.b64decode("".join(text.split()), validate=True), False
        except (binascii.Error, ValueError):
            pass
    raise ConfigError(f"{what}格式不正确或文件不存在：应为 PEM 文本、PEM 文件路径或 base64 内容")


@lru_cache(maxsize=32)
def load_private_key(value: str) -> rsa.RSAPrivateKey:
    data, is_pem = _pem_or_der(value, what="支付宝应用私钥")
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if is_pem
            else serialization.load_der_private_key(data, password=None)
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError("支付宝应用私钥无法读取（需要未加密的 RSA 私钥）") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("支付宝应用私钥必须是 RSA 密钥（RSA2）")
    return key


@lru_cache(maxsize=32)
def load_public_key(value: str) -> rsa.RSAPublicKey:
    data, is_pem = _pem_or_der(value, what="支付宝公钥")
    try:
        key = serialization.load_pem_public_key(data) if is_pem else serialization.load_der_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ConfigError("支付宝公钥无法读取") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError("支付宝公钥必须是 RSA 公钥（RSA2）")
    return key


def _dev_key(settings: Settings, name: str) -> rsa.RSAPrivateKey:
    if settings.is_production:
        raise ConfigError(
            "生产环境不能使用自动生成的开发密钥："
            "请配置 SHEBAO_ALIPAY_PRIVATE_KEY 和 SHEBAO_ALIPAY_PUBLIC_KEY。"
        )
    return _dev_key_at(str((settings.data_dir / "keys" / name).resolve()))


@lru_cache(maxsize=64)
def _dev_key_at(path_text: str) -> rsa.RSAPrivateKey:
    path = Path(path_text)
    if not path.exists():
        _generate(path)
    return load_private_key(str(path))


def _generate(path: Path) -> None:
    """Write a new RSA-2048 key so that concurrent first uses agree: the first link wins, others read it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pem")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pem)
        os.chmod(temp, 0o600)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process got there first: use its key
    finally:
        os.unlink(temp)


register_production_check("alipay", check_production_keys, applies=lambda settings: settings.alipay_enabled)
