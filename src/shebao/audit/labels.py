"""The audit log in Chinese: the one table of labels for its actions, object types and actor types.

The log stores codes (`payment.succeeded`); whoever reads it (the console's 审计日志 and a payer's record,
the API beside the code, the CSV export with both) sees the label (支付成功). A code not in the table is
shown as it is, so a new action is never hidden; tests/audit keeps the table complete.
"""

from __future__ import annotations

from typing import Final

ACTION_LABELS: Final[dict[str, str]] = {
    # 缴费人登录、家庭成员与授权
    "login": "缴费人登录",
    "logout": "缴费人退出登录",
    "family.add": "添加家庭成员",
    "family.remove": "删除家庭成员",
    "consent.grant": "授权查询",
    "consent.revoke": "撤回授权",
    # 参保登记
    "enrolment.created": "参保登记新增",
    "enrolment.updated": "参保登记变更",
    "agency_key.created": "经办机构密钥新增",
    # 申报
    "declaration.declare": "申报",
    "declaration.paid": "申报已缴款",
    "declaration.void": "作废申报",
    # 缴款
    "payment.created": "发起缴款",
    "payment.pending": "等待支付",
    "payment.unknown": "缴费结果确认中",
    "payment.succeeded": "支付成功",
    "payment.failed": "支付失败",
    "payment.closed": "缴款关闭",
    "payment.duplicate": "重复缴费待退款",
    "payment.refunded": "已退款",
    # 退费
    "refund.opened": "退费待办",
    "refund.proposed": "提出退费",
    "refund.sending": "退费审核通过并发送",
    "refund.succeeded": "退费成功",
    "refund.failed": "退费失败",
    # 缴费协议、缴费金额设置与批扣
    "agreement.sign": "签订缴费协议",
    "agreement.effective": "缴费协议生效",
    "agreement.revoke": "撤销缴费协议",
    "agreement.deduct": "协议扣款",
    "contribution_setting.create": "缴费金额设置",
    "contribution_setting.voided": "缴费金额作废",
    "deduction_run.requested": "发起批扣",
    # 缴费证明
    "certificate.requested": "证明申请",
    "certificate.retried": "证明重新制作",
    "certificate.verified": "证明查验相符",
    "certificate.verification_failed": "证明查验不符",
    # 对账与导入
    "reconciliation.run": "对账",
    "reconciliation_issue.resolved": "对账差异处理",
    "import.enrolments": "导入参保数据",
    "import.payments": "导入其他渠道缴款",
    # 管理台
    "console.login": "操作员登录",
    "console.login_failed": "操作员登录失败",
    "console.login_refused": "操作员登录被拒绝",
    "console.locked": "操作员账号锁定",
    "console.logout": "操作员退出登录",
    "console.password_changed": "操作员修改密码",
    "console.payer_lookup": "查询缴费人",
    "console.payer_view": "查看缴费人",
    "console.payer_reveal": "查看明文",
    "operator.added": "新增操作员",
    "operator.disabled": "停用操作员",
    "operator.reset": "重置操作员密码",
}

OBJECT_TYPE_LABELS: Final[dict[str, str]] = {
    "person": "缴费人",
    "person_search": "缴费人查询",
    "family_member": "家庭成员",
    "consent": "授权",
    "login_session": "登录会话",
    "enrolment": "参保登记",
    "agency_key": "经办机构密钥",
    "declaration": "申报",
    "payment": "缴款",
    "refund": "退费",
    "agreement": "缴费协议",
    "contribution_setting": "缴费金额设置",
    "deduction_run_date": "批扣",
    "certificate": "缴费证明",
    "statement_run": "对账单",
    "reconciliation_issue": "对账差异",
    "import_run": "导入",
    "operator": "操作员",
}

ACTOR_TYPE_LABELS: Final[dict[str, str]] = {
    "payer": "缴费人",
    "agency": "社保经办机构",
    "operator": "操作员",
    "system": "系统",
    "provider": "支付渠道",
    "taxcore": "税务核心系统",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def object_type_label(code: str) -> str:
    return OBJECT_TYPE_LABELS.get(code, code)


def actor_type_label(code: str) -> str:
    return ACTOR_TYPE_LABELS.get(code, code)
