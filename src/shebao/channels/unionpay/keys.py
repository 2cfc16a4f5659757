"""UnionPay merchant settings and keys; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: the merchant's signing key (certId 68759663125, as in
UnionPay's test certificate) and the sandbox "UnionPay"'s, so each side verifies what the other signs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import keyfiles
from shebao.config import ConfigError, Settings, register_production_check

DEV_MER_ID = "777290058110048"  # UnionPay's test merchant
DEV_CERT_ID = "68759663125"
PRODUCTION_GATEWAY = "https://gateway.95516.com"
SANDBOX_PATH = "/sandbox/unionpay"
FRONT_PATH = "/gateway/api/frontTransReq.do"
QUERY_PATH = "/gateway/api/queryTrans.do"
MERCHANT_KEY_FILE = "unionpay_merchant_private.pem"
SANDBOX_KEY_FILE = "unionpay_sandbox_private.pem"


def mer_id(settings: Settings) -> str:
    if settings.unionpay_mer_id:
        return settings.unionpay_mer_id
    if settings.is_production:
        raise ConfigError("未启用银联支付：请设置 SHEBAO_UNIONPAY_MER_ID。")
    return DEV_MER_ID


def cert_id(settings: Settings) -> str:
    return settings.unionpay_cert_id or DEV_CERT_ID


def gateway(settings: Settings) -> str:
    if settings.unionpay_gateway:
        return settings.unionpay_gateway.rstrip("/")
    if settings.is_production:
        return PRODUCTION_GATEWAY
    return settings.base_url.rstrip("/") + SANDBOX_PATH


def is_sandbox_gateway(settings: Settings) -> bool:
    return not settings.is_production and urlsplit(gateway(settings)).path.endswith(SANDBOX_PATH)


def sign_key(settings: Settings) -> rsa.RSAPrivateKey:
    if settings.unionpay_sign_key:
        return keyfiles.private_key(settings.unionpay_sign_key, "银联商户签名私钥")
    return keyfiles.dev_private_key(settings, MERCHANT_KEY_FILE, what="SHEBAO_UNIONPAY_SIGN_KEY")


def merchant_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the merchant's signing certificate carries; the sandbox verifies the merchant with it."""
    return sign_key(settings).public_key()


def verify_key(settings: Settings) -> rsa.RSAPublicKey:
    if settings.unionpay_verify_key:
        key, _ = keyfiles.public_key_or_certificate(settings.unionpay_verify_key, "银联验签公钥")
        return key
    return sandbox_private_key(settings).public_key()


def sandbox_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox "UnionPay"'s signing key: it signs answers and back notifications."""
    return keyfiles.dev_private_key(settings, SANDBOX_KEY_FILE, what="SHEBAO_UNIONPAY_VERIFY_KEY")


def check_production_keys(settings: Settings) -> None:
    """Production with UnionPay enabled needs every merchant setting, and the keys must load."""
    named = {
        "SHEBAO_UNIONPAY_MER_ID": settings.unionpay_mer_id,
        "SHEBAO_UNIONPAY_SIGN_KEY": settings.unionpay_sign_key,
        "SHEBAO_UNIONPAY_CERT_ID": settings.unionpay_cert_id,
        "SHEBAO_UNIONPAY_VERIFY_KEY": settings.unionpay_verify_key,
    }
    missing = [name for name, value in named.items() if not value]
    if missing:
        raise ConfigError(
            "生产环境启用银联支付必须配置商户号、证书和密钥：" + ", ".join(missing) + " is missing."
        )
    sign_key(settings)
    verify_key(settings)


register_production_check(
    "unionpay", check_production_keys, applies=lambda settings: settings.unionpay_enabled
)
