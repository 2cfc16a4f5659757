"""The bank front end's URL and RSA keys from settings; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: ours (signs requests; the sandbox bank verifies them) and
the sandbox bank's (signs answers; we verify them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import keyfiles
from shebao.config import ConfigError, Settings

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


OUR_PRIVATE_KEY = keyfiles.PrivateKey(
    setting="bank_private_key", what=OUR_KEY, dev_file=APP_KEY_FILE, configure=OUR_KEY
)
SANDBOX_KEY = keyfiles.PrivateKey(setting=None, what=BANK_KEY, dev_file=SANDBOX_KEY_FILE, configure=BANK_KEY)
BANK_PUBLIC_KEY = keyfiles.PublicKey(setting="bank_public_key", what=BANK_KEY, sandbox=SANDBOX_KEY)


def private_key(settings: Settings) -> rsa.RSAPrivateKey:
    return OUR_PRIVATE_KEY.load(settings)


def app_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the bank registers for us; the sandbox bank verifies our requests with it."""
    return private_key(settings).public_key()


def bank_public_key(settings: Settings) -> rsa.RSAPublicKey:
    return BANK_PUBLIC_KEY.load(settings)


def sandbox_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox bank's own key: it signs its answers."""
    return SANDBOX_KEY.load(settings)


check_production_keys = keyfiles.require_in_production(
    "bank",
    enabled=lambda settings: settings.bank_enabled,
    needs="协议支付必须配置银行前置地址和密钥",
    settings=("bank_gateway", "bank_private_key", "bank_public_key"),
    loads=(private_key, bank_public_key),
)
