"""Request validation errors in Chinese: one message per field that names it and says what to do.

FastAPI reports what pydantic found (`uuid_parsing` at `("body", "declaration_id")`); people read
"申报编号格式不正确". The field's Chinese name comes from the glossary below, so a message reads the
same wherever the field appears (path, query, JSON body or form).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError

from shebao.errors import ValidationFailed

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form"}

FIELD_NAMES: Mapping[str, str] = {
    "account_no": "银行账号",
    "agency_code": "社保经办机构",
    "agreement_id": "协议编号",
    "agreement_no": "协议号",
    "amount": "缴费金额",
    "annual_amount": "缴费金额",
    "annual_amount_fen": "缴费金额",
    "back": "返回地址",
    "balance_fen": "余额",
    "bank_code": "开户银行",
    "bank_region_code": "银行行政区划",
    "bill_date": "对账日期",
    "certificate_id": "证明编号",
    "channel": "渠道",
    "branch_code": "银行网点",
    "copies": "通知份数",
    "cursor": "翻页位置",
    "date": "日期",
    "declaration_id": "申报编号",
    "delay_seconds": "延迟秒数",
    "declared_from": "申报日期起",
    "declared_to": "申报日期止",
    "family_id": "家庭成员编号",
    "file": "文件",
    "holder_name": "持卡人姓名",
    "id_number": "证件号码",
    "id_type": "证件类型",
    "import_id": "导入记录编号",
    "issue_id": "对账差异编号",
    "kind": "导入类型",
    "idempotency-key": "幂等键（Idempotency-Key）",
    "limit": "每页条数",
    "method": "支付方式",
    "name": "姓名",
    "notify": "是否通知",
    "now": "时间",
    "outcome": "认证结果",
    "out_trade_no": "商户订单号",
    "payable_ids": "应缴费编号",
    "payer_id": "缴费对象（家庭成员编号）",
    "payment_id": "缴款编号",
    "person_id": "缴费人编号",
    "refund_id": "退费编号",
    "period_from": "所属期起",
    "period_to": "所属期止",
    "phone": "手机号码",
    "platform_phone_code": "手机号授权码",
    "platform_user_id": "小程序用户标识",
    "reason": "原因",
    "region_code": "行政区划",
    "relation": "与本人关系",
    "result_token": "认证结果凭证",
    "rows": "数据行",
    "run_id": "批扣记录编号",
    "scheme": "参保项目",
    "setting_id": "缴费金额设置编号",
    "sms_code": "短信验证码",
    "status": "状态",
    "tax_office_code": "税务机关",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "verification_id": "认证编号",
    "withhold": "银行代扣",
    "withhold_schemes": "代扣险种",
    "x-taxcore-key": "税务核心密钥（X-Taxcore-Key）",
}

_QUOTED = re.compile(r"'([^']*)'")
_Reason = Callable[[str, str, Mapping[str, Any]], str]


def label(name: str) -> str:
    return FIELD_NAMES.get(name) or f"“{name}”"


def validation_failed(exc: RequestValidationError) -> ValidationFailed:
    """The request's validation errors as one ValidationFailed: `fields` per field, `message` the first."""
    fields: dict[str, str] = {}
    for item in exc.errors():
        path = [str(part) for part in item.get("loc", ()) if str(part) not in _LOCATIONS]
        if item.get("type") == "json_invalid":
            path = []  # its location is a character position, not a field
        fields.setdefault(".".join(path) or "request", reason(item, path))
    messages = list(fields.values()) or ["请求内容格式不正确"]
    message = messages[0]
    if len(messages) > 1:
        message += f"（另有{len(messages) - 1}项需要修改）"
    return ValidationFailed(message, fields=fields)


def reason(item: Mapping[str, Any], path: Sequence[str]) -> str:
    """One field's problem in Chinese, naming the field (a list element is named by its list)."""
    names = [part for part in path if not part.isdigit()]
    if not names:
        return _whole_request(str(item.get("type", "")))
    field = label(names[-1])
    kind = str(item.get("type", ""))
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    given = item.get("input")
    if kind == "missing" or (given == "" and kind.startswith(("uuid", "date", "datetime", "int"))):
        return f"请填写{field}"
    if kind.startswith("uuid"):
        return f"{field}格式不正确"
    if kind == "value_error":
        return str(item.get("msg", "")).removeprefix("Value error, ") or f"{field}填写不正确"
    return _BY_KIND.get(kind, _by_family)(field, kind, ctx)


def _whole_request(kind: str) -> str:
    if kind == "json_invalid":
        return "请求内容不是有效的 JSON"
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return "请求内容应为 JSON 对象"
    return "请求内容格式不正确"


def _choices(ctx: Mapping[str, Any]) -> str:
    found = _QUOTED.findall(str(ctx.get("expected", "")))
    return "、".join(found)


def _by_family(field: str, kind: str, ctx: Mapping[str, Any]) -> str:
    if kind.startswith("int") or kind == "float_parsing":
        return f"{field}应为整数"
    if kind.startswith("bool"):
        return f"{field}应为 true 或 false"
    if kind.startswith(("date", "datetime")):
        if kind.startswith("datetime"):
            return f"{field}应为带时区的时间，如 2026-11-28T09:00:00+08:00"
        return f"{field}应为日期，格式 YYYY-MM-DD"
    if kind.startswith("string"):
        return f"{field}应为文字"
    return f"{field}填写不正确，请检查后重新填写"


_BY_KIND: Mapping[str, _Reason] = {
    "string_too_long": lambda f, k, c: f"{f}不能超过{c.get('max_length')}个字符",
    "string_too_short": lambda f, k, c: (
        f"请填写{f}" if c.get("min_length") == 1 else f"{f}至少{c.get('min_length')}个字符"
    ),
    "string_pattern_mismatch": lambda f, k, c: f"{f}格式不正确",
    "too_long": lambda f, k, c: f"{f}最多{c.get('max_length')}项",
    "too_short": lambda f, k, c: (
        f"{f}不能为空" if c.get("min_length") == 1 else f"{f}至少{c.get('min_length')}项"
    ),
    "list_type": lambda f, k, c: f"{f}应为列表",
    "enum": lambda f, k, c: f"{f}应为 {_choices(c)} 之一",
    "literal_error": lambda f, k, c: f"{f}应为 {_choices(c)} 之一",
    "greater_than": lambda f, k, c: f"{f}应大于{c.get('gt')}",
    "greater_than_equal": lambda f, k, c: f"{f}不能小于{c.get('ge')}",
    "less_than": lambda f, k, c: f"{f}应小于{c.get('lt')}",
    "less_than_equal": lambda f, k, c: f"{f}不能大于{c.get('le')}",
    "extra_forbidden": lambda f, k, c: f"不接受{f}，请去掉该项",
    "json_invalid": lambda f, k, c: "请求内容不是有效的 JSON",
    "model_attributes_type": lambda f, k, c: f"{f}格式不正确",
    "dict_type": lambda f, k, c: f"{f}应为 JSON 对象",
    "model_type": lambda f, k, c: f"{f}应为 JSON 对象",
}
