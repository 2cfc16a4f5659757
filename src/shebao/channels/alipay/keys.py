"""Alipay app id, gateway and RSA keys from settings; dev keys generated on first use outside production.

Keys may be given as PEM text, as a path to a PEM file, or as the bare base64 body that Alipay's key
tool and open-platform console show. Two dev key pairs live in `{data_dir}/keys/`: the app's and the
sandbox "Alipay"'s, so the sandbox can verify what the app signs and sign what the app verifies.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import keyfiles
from shebao.config import ConfigError, Settings

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


APP_KEY = keyfiles.PrivateKey(
    setting="alipay_private_key",
    what="支付宝应用私钥",
    dev_file=APP_KEY_FILE,
    configure="SHEBAO_ALIPAY_PRIVATE_KEY 和 SHEBAO_ALIPAY_PUBLIC_KEY",
)
SANDBOX_KEY = keyfiles.PrivateKey(
    setting=None, what="支付宝沙箱私钥", dev_file=SANDBOX_KEY_FILE, configure=APP_KEY.configure
)
# Public-key mode only: a certificate would need the certificate mode's signing fields.
ALIPAY_KEY = keyfiles.PublicKey(
    setting="alipay_public_key", what="支付宝公钥", sandbox=SANDBOX_KEY, certificate_allowed=False
)


def app_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    return APP_KEY.load(settings)


def app_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the app uploads to Alipay; the sandbox verifies the app's requests with it."""
    return app_private_key(settings).public_key()


def alipay_public_key(settings: Settings) -> rsa.RSAPublicKey:
    return ALIPAY_KEY.load(settings)


def sandbox_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox "Alipay"'s own key: it signs answers and notifications."""
    return SANDBOX_KEY.load(settings)


check_production_keys = keyfiles.require_in_production(
    "alipay",
    enabled=lambda settings: settings.alipay_enabled,
    needs="支付宝必须配置正式的应用ID和密钥",
    settings=("alipay_app_id", "alipay_private_key", "alipay_public_key"),
    loads=(app_private_key, alipay_public_key),
)
