"""The bank front end's URL and RSA keys from settings; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: ours (signs requests; the sandbox bank verifies them) and
the sandbox bank's (signs answers; we verify them).
"""

from __future__ import annotations

from shebao.channels import keyfiles

SANDBOX_GATEWAY_PATH = "/sandbox/bank/gateway"
APP_KEY_FILE = "bank_app_private.pem"
SANDBOX_KEY_FILE = "bank_sandbox_private.pem"
OUR_KEY = "银行前置签名私钥（SHEBAO_BANK_PRIVATE_KEY）"
BANK_KEY = "银行前置公钥（SHEBAO_BANK_PUBLIC_KEY）"


GATEWAY = keyfiles.Gateway(
    "bank_gateway",
    SANDBOX_GATEWAY_PATH,
    refusal="未启用协议支付：请设置 SHEBAO_BANK_GATEWAY（银行前置地址）。",
    strip_slash=False,
)
OUR_PRIVATE_KEY = keyfiles.PrivateKey("bank_private_key", OUR_KEY, APP_KEY_FILE, OUR_KEY)
SANDBOX_KEY = keyfiles.PrivateKey(None, BANK_KEY, SANDBOX_KEY_FILE, BANK_KEY)
BANK_PUBLIC_KEY = keyfiles.PublicKey("bank_public_key", BANK_KEY, SANDBOX_KEY)


gateway = GATEWAY.url
is_sandbox_gateway = GATEWAY.is_sandbox
private_key = OUR_PRIVATE_KEY.load
app_public_key = OUR_PRIVATE_KEY.public_key  # what the bank registers for us; the sandbox bank verifies
bank_public_key = BANK_PUBLIC_KEY.load
sandbox_private_key = SANDBOX_KEY.load  # the sandbox bank's own: it signs its answers

check_production_keys = keyfiles.require_in_production(
    "bank",
    "协议支付必须配置银行前置地址和密钥",
    ("bank_gateway", "bank_private_key", "bank_public_key"),
    (private_key, bank_public_key),
)
