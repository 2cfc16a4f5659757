"""The bank front end's URL and RSA keys from settings; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: ours (signs requests; the sandbox bank verifies them) and
the sandbox bank's (signs answers; we verify them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import keyfiles
from shebao.config import ConfigError, Settings, register_production_check

SANDBOX_GATEWAY_PATH = "/sandbox/bank/gateway"
APP_KEY_FILE = "bank_app_private.pem"
SANDBOX_KEY_FILE = "bank_sandbox_private.pem"
OUR_KEY = "银行前置签名私钥（SHEBAO_BANK_PRIVATE_KEY）"
BANK_KEY = "银行前置公钥（SHEBAO_BANK_PUBLIC_KEY）"


def gateway(settings: Settings) -> str:
    if settings.bank_gateway:
        return settings.bank_gateway
    if settings.is_production:
        raise ConfigError("未启用协议支付：请设置 SHEBAO_BANK_GATEWAY（银行前置地址）。")
    return settings.base_url.rstrip("/") + SANDBOX_GATEWAY_PATH


def is_sandbox_gateway(settings: Settings) -> bool:
    return not settings.is_production and urlsplit(gateway(settings)).path.endswith(SANDBOX_GATEWAY_PATH)


def private_key(settings: Settings) -> rsa.RSAPrivateKey:
    if settings.bank_private_key:
        return keyfiles.private_key(settings.bank_private_key, OUR_KEY)
    return keyfiles.dev_private_key(settings, APP_KEY_FILE, what=OUR_KEY)


def app_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the bank registers for us; the sandbox bank verifies our requests with it."""
    return private_key(settings).public_key()


def bank_public_key(settings: Settings) -> rsa.RSAPublicKey:
    if settings.bank_public_key:
        return keyfiles.public_key_or_certificate(settings.bank_public_key, BANK_KEY)[0]
    return sandbox_private_key(settings).public_key()


def sandbox_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox bank's own key: it signs its answers."""
    return keyfiles.dev_private_key(settings, SANDBOX_KEY_FILE, what=BANK_KEY)


def check_production_keys(settings: Settings) -> None:
    """Production with the bank enabled needs both real keys, and they must load."""
    named = {
        "SHEBAO_BANK_GATEWAY": settings.bank_gateway,
        "SHEBAO_BANK_PRIVATE_KEY": settings.bank_private_key,
        "SHEBAO_BANK_PUBLIC_KEY": settings.bank_public_key,
    }
    missing = [name for name, value in named.items() if not value]
    if missing:
        raise ConfigError(
            "生产环境启用协议支付必须配置银行前置地址和密钥：" + ", ".join(missing) + " is missing."
        )
    private_key(settings)
    bank_public_key(settings)


register_production_check("bank", check_production_keys, applies=lambda settings: settings.bank_enabled)
