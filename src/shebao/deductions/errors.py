from __future__ import annotations

from shebao.errors import Conflict, NotFound, ValidationFailed


class SettingNotFound(NotFound):
    code = "contribution_setting_not_found"
    message = "未找到该缴费金额设置"


class SchemeNotSettable(ValidationFailed):
    code = "scheme_not_settable"
    message = "缴费金额设置只支持城乡居民养老保险和城乡居民基本医疗保险，灵活就业人员社保费不能设置"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, fields={"scheme": message or self.message})


class YearsInvalid(ValidationFailed):
    code = "contribution_years_invalid"
    message = "有效期起止有误"

    def __init__(self, message: str | None = None, *, field: str = "valid_to") -> None:
        super().__init__(message, fields={field: message or self.message})


class AmountInvalid(ValidationFailed):
    code = "contribution_amount_invalid"
    message = "缴费金额有误"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, fields={"annual_amount_fen": message or self.message})


class NotEnrolled(ValidationFailed):
    code = "contribution_not_enrolled"
    message = "未查询到缴费对象该险种的参保信息，不能设置缴费金额"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, fields={"scheme": message or self.message})


class AgreementUnusable(Conflict):
    """The agreement cannot deduct for this setting; the message says which rule."""

    code = "contribution_agreement_unusable"
    message = "该缴费协议不能用于缴费金额设置"


class SettingOverlaps(Conflict):
    code = "contribution_setting_exists"
    message = "该缴费对象在所选有效期内已有有效的缴费金额设置，请先作废后再设置"


class SettingVoided(Conflict):
    code = "contribution_setting_voided"
    message = "该缴费金额设置已作废，无需重复作废"
