"""UnionPay merchant settings and keys; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: the merchant's signing key (certId 68759663125, as in
UnionPay's test certificate) and the sandbox "UnionPay"'s, so each side verifies what the other signs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import keyfiles
from shebao.config import ConfigError, Settings

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


SIGN_KEY = keyfiles.PrivateKey(
    setting="unionpay_sign_key",
    what="银联商户签名私钥",
    dev_file=MERCHANT_KEY_FILE,
    configure="SHEBAO_UNIONPAY_SIGN_KEY",
)
SANDBOX_KEY = keyfiles.PrivateKey(
    setting=None, what="银联沙箱签名私钥", dev_file=SANDBOX_KEY_FILE, configure="SHEBAO_UNIONPAY_VERIFY_KEY"
)
VERIFY_KEY = keyfiles.PublicKey(setting="unionpay_verify_key", what="银联验签公钥", sandbox=SANDBOX_KEY)


def sign_key(settings: Settings) -> rsa.RSAPrivateKey:
    return SIGN_KEY.load(settings)


def merchant_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the merchant's signing certificate carries; the sandbox verifies the merchant with it."""
    return sign_key(settings).public_key()


def verify_key(settings: Settings) -> rsa.RSAPublicKey:
    return VERIFY_KEY.load(settings)


def sandbox_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox "UnionPay"'s signing key: it signs answers and back notifications."""
    return SANDBOX_KEY.load(settings)


check_production_keys = keyfiles.require_in_production(
    "unionpay",
    enabled=lambda settings: settings.unionpay_enabled,
    needs="银联支付必须配置商户号、证书和密钥",
    settings=("unionpay_mer_id", "unionpay_sign_key", "unionpay_cert_id", "unionpay_verify_key"),
    loads=(sign_key, verify_key),
)
