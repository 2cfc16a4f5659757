"""Alipay app id, gateway and RSA keys from settings; dev keys generated on first use outside production.

Keys may be given as PEM text, as a path to a PEM file, or as the bare base64 body that Alipay's key
tool and open-platform console show. Two dev key pairs live in `{data_dir}/keys/`: the app's and the
sandbox "Alipay"'s, so the sandbox can verify what the app signs and sign what the app verifies.
"""

from __future__ import annotations

from shebao.channels import keyfiles

DEV_APP_ID = "9021000100000001"  # Alipay sandbox app ids start with 9021
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY_PATH = "/sandbox/alipay/gateway.do"
APP_KEY_FILE = "alipay_app_private.pem"
SANDBOX_KEY_FILE = "alipay_sandbox_private.pem"


APP_ID = keyfiles.Identifier("alipay_app_id", DEV_APP_ID, "未启用支付宝：请设置 SHEBAO_ALIPAY_APP_ID。")
GATEWAY = keyfiles.Gateway(
    "alipay_gateway", SANDBOX_GATEWAY_PATH, production=PRODUCTION_GATEWAY, strip_slash=False
)
APP_KEY = keyfiles.PrivateKey(
    "alipay_private_key",
    "支付宝应用私钥",
    APP_KEY_FILE,
    "SHEBAO_ALIPAY_PRIVATE_KEY 和 SHEBAO_ALIPAY_PUBLIC_KEY",
)
SANDBOX_KEY = keyfiles.PrivateKey(None, "支付宝沙箱私钥", SANDBOX_KEY_FILE, APP_KEY.configure)
# Public-key mode only: a certificate would need the certificate mode's signing fields.
ALIPAY_KEY = keyfiles.PublicKey("alipay_public_key", "支付宝公钥", SANDBOX_KEY, certificate_allowed=False)


app_id = APP_ID.value
gateway = GATEWAY.url
is_sandbox_gateway = GATEWAY.is_sandbox
app_private_key = APP_KEY.load
app_public_key = APP_KEY.public_key  # what the app uploads to Alipay; the sandbox verifies with it
alipay_public_key = ALIPAY_KEY.load
sandbox_private_key = SANDBOX_KEY.load  # the sandbox "Alipay"'s own: it signs answers and notifications

check_production_keys = keyfiles.require_in_production(
    "alipay",
    "支付宝必须配置正式的应用ID和密钥",
    ("alipay_app_id", "alipay_private_key", "alipay_public_key"),
    (app_private_key, alipay_public_key),
)
