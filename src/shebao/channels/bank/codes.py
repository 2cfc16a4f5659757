"""Message types and answer codes of the bank front end, shared by the adapter and the sandbox bank.

Modelled on TIPS (人民银行国库信息处理系统): the tax side sends signed messages to one front end that
routes them to the payer's bank; every answer names the message it answers and carries a result code.
"""

from __future__ import annotations

from typing import Final

VERIFY: Final = "agreement.verify"  # 三方协议验证: the account exists, is the holder's, can be debited
REVOKE: Final = "agreement.revoke"  # 协议撤销
DEDUCT: Final = "deduction.realtime"  # 实时扣款
QUERY: Final = "deduction.query"  # 扣款结果查询 (by the original message id; a refund's too)
REFUND: Final = "deduction.refund"  # 退款: money back into the deducted account, by the refund's message id
MESSAGE_TYPES: Final = (VERIFY, REVOKE, DEDUCT, QUERY, REFUND)

SUCCESS: Final = "0000"
INSUFFICIENT_BALANCE: Final = "1001"
NAME_MISMATCH: Final = "1002"
NO_AGREEMENT: Final = "1003"
NO_ACCOUNT: Final = "1004"
ACCOUNT_BLOCKED: Final = "1005"
ACCOUNT_CLOSED: Final = "1006"
AGREEMENT_REVOKED: Final = "1007"
REFUSED: Final = "1009"
REFUND_EXCEEDS: Final = "1010"  # the refunds of a deduction would exceed what it deducted
CLOSED: Final = "2001"  # non-working hours: nothing was done, try later
NOT_FOUND: Final = "3001"  # query: the bank never received the original message
BAD_MESSAGE: Final = "9001"
BAD_SIGNATURE: Final = "9002"

# What a payer reads (payments' failure_reason, agreements' rejection reason).
MESSAGES: Final = {
    SUCCESS: "交易成功",
    INSUFFICIENT_BALANCE: "余额不足",
    NAME_MISMATCH: "账号与户名不符",
    NO_AGREEMENT: "协议不存在或已撤销",
    NO_ACCOUNT: "账号不存在",
    ACCOUNT_BLOCKED: "账户状态异常，不能扣款",
    ACCOUNT_CLOSED: "账户已销户",
    AGREEMENT_REVOKED: "协议已撤销",
    REFUSED: "银行拒绝交易",
    REFUND_EXCEEDS: "退款金额超过原扣款可退金额",
    CLOSED: "银行系统维护中，请稍后再试",
    NOT_FOUND: "原交易不存在",
    BAD_MESSAGE: "报文格式错误",
    BAD_SIGNATURE: "报文验签失败",
}


def message(code: str, bank_says: object = None) -> str:
    """Our wording of a code; for a bare refusal (or a code we do not know) the bank's own words."""
    said = bank_says if isinstance(bank_says, str) and bank_says else None
    if code == REFUSED or code not in MESSAGES:
        return said or MESSAGES.get(code) or "银行处理失败"
    return MESSAGES[code]
