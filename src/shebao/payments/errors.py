from __future__ import annotations

from shebao.errors import Conflict, NotFound, ValidationFailed


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "未找到该缴费记录"


class MethodNotOffered(ValidationFailed):
    code = "method_not_offered"
    message = "当前渠道不支持该支付方式"


class ResultPending(Conflict):
    code = "payment_result_pending"
    message = "缴费结果确认中，请稍后再试"


class DeclarationPaid(Conflict):
    code = "declaration_already_paid"
    message = "该申报已缴款，无需重复缴费"


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    message = "该请求标识已用于另一笔缴费，请勿重复使用"


class ProviderRefused(Conflict):
    code = "provider_refused"
    message = "支付渠道暂时无法受理，请稍后再试或更换支付方式"


class AgreementChoice(ValidationFailed):
    code = "agreement_choice"
    message = "协议支付请选择缴费协议；其他支付方式无需选择协议"


class PlatformUserMissing(ValidationFailed):
    code = "platform_user_missing"
    message = "小程序内支付需要提供付款人在该平台的用户标识（platform_user_id）"


class OpenedByAnother(Conflict):
    """Another payer's payment is open: theirs to close (DESIGN.md: a payer may pay for a family member)."""

    code = "payment_open_by_another"
    message = "该申报已有他人发起的缴费，缴费结果确认中，请稍后再试"
