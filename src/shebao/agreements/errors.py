from __future__ import annotations

from shebao.errors import Conflict, NotFound, ValidationFailed


class AgreementNotFound(NotFound):
    code = "agreement_not_found"
    message = "未找到该缴费协议"


class HolderMismatch(ValidationFailed):
    code = "holder_name_mismatch"
    message = "持卡人姓名与缴费人姓名不一致"


class AccountInvalid(ValidationFailed):
    code = "account_invalid"
    message = "银行账号有误，请核对后重新输入"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, fields={"account_no": message or self.message})


class AgreementExists(Conflict):
    code = "agreement_exists"
    message = "该银行账号已与该税务机关签订缴费协议，无需重复签订"


class AlreadyRevoked(Conflict):
    code = "agreement_revoked"
    message = "该协议已撤销"


class NotRevocable(Conflict):
    code = "agreement_not_revocable"
    message = "签约失败的协议无需撤销"


class AgreementNotUsable(Conflict):
    code = "agreement_not_usable"
    message = "该协议不能用于本次缴费"


class BankUnavailable(Conflict):
    """The bank gave no answer, or is closed for the night: nothing was signed, try later."""

    code = "bank_unavailable"
    message = "银行暂时无法受理，请稍后再试"


class AgreementsDisabled(Conflict):
    code = "agreements_disabled"
    message = "暂未开通协议支付，请选择其他缴费方式"
