"""UnionPay merchant settings and keys; dev keys generated on first use outside production.

Two dev key pairs live in `{data_dir}/keys/`: the merchant's signing key (certId 68759663125, as in
UnionPay's test certificate) and the sandbox "UnionPay"'s, so each side verifies what the other signs.
"""

from __future__ import annotations

from shebao.channels import keyfiles

DEV_MER_ID = "777290058110048"  # UnionPay's test merchant
DEV_CERT_ID = "68759663125"
PRODUCTION_GATEWAY = "https://gateway.95516.com"
SANDBOX_PATH = "/sandbox/unionpay"
FRONT_PATH = "/gateway/api/frontTransReq.do"
QUERY_PATH = "/gateway/api/queryTrans.do"
BACK_PATH = "/gateway/api/backTransReq.do"  # 后台交易: 退货
MERCHANT_KEY_FILE = "unionpay_merchant_private.pem"
SANDBOX_KEY_FILE = "unionpay_sandbox_private.pem"


MER_ID = keyfiles.Identifier("unionpay_mer_id", DEV_MER_ID, "未启用银联支付：请设置 SHEBAO_UNIONPAY_MER_ID。")
CERT_ID = keyfiles.Identifier("unionpay_cert_id", DEV_CERT_ID)
GATEWAY = keyfiles.Gateway("unionpay_gateway", SANDBOX_PATH, production=PRODUCTION_GATEWAY)
SIGN_KEY = keyfiles.PrivateKey(
    "unionpay_sign_key", "银联商户签名私钥", MERCHANT_KEY_FILE, "SHEBAO_UNIONPAY_SIGN_KEY"
)
SANDBOX_KEY = keyfiles.PrivateKey(None, "银联沙箱签名私钥", SANDBOX_KEY_FILE, "SHEBAO_UNIONPAY_VERIFY_KEY")
VERIFY_KEY = keyfiles.PublicKey("unionpay_verify_key", "银联验签公钥", SANDBOX_KEY)


mer_id = MER_ID.value
cert_id = CERT_ID.value
gateway = GATEWAY.url
is_sandbox_gateway = GATEWAY.is_sandbox
sign_key = SIGN_KEY.load
merchant_public_key = SIGN_KEY.public_key  # the signing certificate's; the sandbox verifies with it
verify_key = VERIFY_KEY.load
sandbox_private_key = SANDBOX_KEY.load  # the sandbox "UnionPay"'s: signs answers and back notifications

check_production_keys = keyfiles.require_in_production(
    "unionpay",
    "银联支付必须配置商户号、证书和密钥",
    ("unionpay_mer_id", "unionpay_sign_key", "unionpay_cert_id", "unionpay_verify_key"),
    (sign_key, verify_key),
)
