"""WeChat Pay merchant settings and keys; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: the merchant's API key and the sandbox "WeChat Pay"'s
platform key (used in platform-public-key mode, with a dev PUB_KEY_ID), plus a dev APIv3 key, so the
sandbox can verify what the merchant signs and sign and encrypt what the merchant verifies and decrypts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from shebao.channels import keyfiles
from shebao.config import ConfigError, Settings

DEV_MCHID = "1900000109"  # WeChat Pay's documentation merchant
DEV_APPID = "wxd678efh567hg6787"
DEV_CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
DEV_PLATFORM_SERIAL = "PUB_KEY_ID_0119000001092026112700000000000001"
PRODUCTION_GATEWAY = "https://api.mch.weixin.qq.com"
SANDBOX_PATH = "/sandbox/wechat"
MERCHANT_KEY_FILE = "wechat_merchant_private.pem"
PLATFORM_KEY_FILE = "wechat_platform_private.pem"
APIV3_KEY_FILE = "wechat_apiv3.key"


def mchid(settings: Settings) -> str:
    if settings.wechat_mchid:
        return settings.wechat_mchid
    if settings.is_production:
        raise ConfigError("未启用微信支付：请设置 SHEBAO_WECHAT_MCHID。")
    return DEV_MCHID


def appid(settings: Settings) -> str:
    return settings.wechat_appid or DEV_APPID


def gateway(settings: Settings) -> str:
    if settings.wechat_gateway:
        return settings.wechat_gateway.rstrip("/")
    if settings.is_production:
        return PRODUCTION_GATEWAY
    return settings.base_url.rstrip("/") + SANDBOX_PATH


def is_sandbox_gateway(settings: Settings) -> bool:
    return not settings.is_production and urlsplit(gateway(settings)).path.endswith(SANDBOX_PATH)


def cert_serial(settings: Settings) -> str:
    return settings.wechat_cert_serial or DEV_CERT_SERIAL


MERCHANT_KEY = keyfiles.PrivateKey(
    setting="wechat_private_key",
    what="微信支付商户API私钥",
    dev_file=MERCHANT_KEY_FILE,
    configure="SHEBAO_WECHAT_PRIVATE_KEY",
)
# The platform key: a public key or platform certificates in production (platform_keys), generated here.
SANDBOX_PLATFORM_KEY = keyfiles.PrivateKey(
    setting=None,
    what="微信支付沙箱平台私钥",
    dev_file=PLATFORM_KEY_FILE,
    configure="SHEBAO_WECHAT_PLATFORM_PUBLIC_KEY",
)


def merchant_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    return MERCHANT_KEY.load(settings)


def merchant_public_key(settings: Settings) -> rsa.RSAPublicKey:
    """What the merchant certificate carries; the sandbox verifies the merchant's requests with it."""
    return merchant_private_key(settings).public_key()


def apiv3_key(settings: Settings) -> str:
    key = settings.wechat_apiv3_key or keyfiles.dev_secret(
        settings, APIV3_KEY_FILE, what="SHEBAO_WECHAT_APIV3_KEY"
    )
    if len(key.encode("utf-8")) != 32:
        raise ConfigError("微信支付 APIv3 密钥必须是32个字符（SHEBAO_WECHAT_APIV3_KEY）")
    return key


def platform_keys(settings: Settings) -> dict[str, rsa.RSAPublicKey]:
    """WeChat Pay's verification keys by serial (the `Wechatpay-Serial` header picks one).

    Platform-public-key mode: the key under its PUB_KEY_ID. Certificate mode: each certificate under its
    serial number in upper-case hex, as WeChat Pay writes it."""
    value = settings.wechat_platform_public_key
    if not value:
        return {sandbox_platform_serial(settings): sandbox_platform_private_key(settings).public_key()}
    key, certificate = keyfiles.public_key_or_certificate(value, "微信支付平台公钥")
    if certificate is not None:
        return {_serial(c): _rsa(c) for c in keyfiles.certificates(value, "微信支付平台证书")}
    if not settings.wechat_platform_serial:
        raise ConfigError("使用微信支付平台公钥时必须设置其公钥ID：SHEBAO_WECHAT_PLATFORM_SERIAL")
    return {settings.wechat_platform_serial: key}


def _serial(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "X")


def _rsa(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):  # keyfiles.certificates checked it
        raise ConfigError("微信支付平台证书的公钥不是 RSA 公钥")
    return key


def sandbox_platform_private_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The sandbox "WeChat Pay"'s platform key: it signs answers and callbacks."""
    return SANDBOX_PLATFORM_KEY.load(settings)


def sandbox_platform_serial(settings: Settings) -> str:
    return settings.wechat_platform_serial or DEV_PLATFORM_SERIAL


check_production_keys = keyfiles.require_in_production(
    "wechat",
    enabled=lambda settings: settings.wechat_enabled,
    needs="微信支付必须配置商户号、密钥和平台公钥",
    settings=(
        "wechat_mchid",
        "wechat_appid",
        "wechat_private_key",
        "wechat_cert_serial",
        "wechat_apiv3_key",
        "wechat_platform_public_key",
    ),
    loads=(merchant_private_key, apiv3_key, platform_keys),
)
