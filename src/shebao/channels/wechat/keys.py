"""WeChat Pay merchant settings and keys; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: the merchant's API key and the sandbox "WeChat Pay"'s
platform key (used in platform-public-key mode, with a dev PUB_KEY_ID), plus a dev APIv3 key, so the
sandbox can verify what the merchant signs and sign and encrypt what the merchant verifies and decrypts.
"""

from __future__ import annotations

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


MCHID = keyfiles.Identifier("wechat_mchid", DEV_MCHID, "未启用微信支付：请设置 SHEBAO_WECHAT_MCHID。")
APPID = keyfiles.Identifier("wechat_appid", DEV_APPID)
CERT_SERIAL = keyfiles.Identifier("wechat_cert_serial", DEV_CERT_SERIAL)
GATEWAY = keyfiles.Gateway("wechat_gateway", SANDBOX_PATH, production=PRODUCTION_GATEWAY)
MERCHANT_KEY = keyfiles.PrivateKey(
    "wechat_private_key", "微信支付商户API私钥", MERCHANT_KEY_FILE, "SHEBAO_WECHAT_PRIVATE_KEY"
)
# The platform key: a public key or platform certificates in production (platform_keys), generated here.
SANDBOX_PLATFORM_KEY = keyfiles.PrivateKey(
    None, "微信支付沙箱平台私钥", PLATFORM_KEY_FILE, "SHEBAO_WECHAT_PLATFORM_PUBLIC_KEY"
)


mchid = MCHID.value
appid = APPID.value
cert_serial = CERT_SERIAL.value
gateway = GATEWAY.url
is_sandbox_gateway = GATEWAY.is_sandbox
merchant_private_key = MERCHANT_KEY.load
merchant_public_key = MERCHANT_KEY.public_key  # the merchant certificate's; the sandbox verifies with it
sandbox_platform_private_key = SANDBOX_PLATFORM_KEY.load  # the sandbox "WeChat Pay"'s: signs answers


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


def sandbox_platform_serial(settings: Settings) -> str:
    return settings.wechat_platform_serial or DEV_PLATFORM_SERIAL


check_production_keys = keyfiles.require_in_production(
    "wechat",
    "微信支付必须配置商户号、密钥和平台公钥",
    (
        "wechat_mchid",
        "wechat_appid",
        "wechat_private_key",
        "wechat_cert_serial",
        "wechat_apiv3_key",
        "wechat_platform_public_key",
    ),
    (merchant_private_key, apiv3_key, platform_keys),
)
