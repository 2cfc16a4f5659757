from __future__ import annotations

from shebao.errors import Conflict, Inconsistent, NotFound, RateLimited, ValidationFailed


class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    message = "未找到该缴费证明"


class NothingPaid(ValidationFailed):
    code = "certificate_nothing_paid"
    message = "所选费款所属期内没有已缴费记录，无法开具缴费证明"


class SchemeNotEnrolled(ValidationFailed):
    code = "certificate_scheme_not_enrolled"
    message = "未查询到该险种的参保信息，无法开具缴费证明"


class CertificateNotReady(Conflict):
    code = "certificate_not_ready"
    message = "缴费证明尚未制作完成，请稍后查看"


class CertificatesDisabled(Conflict):
    """Production without the tax office's signing certificate issues no certificate."""

    code = "certificates_disabled"
    message = "暂未开通缴费证明开具，请前往办税服务厅办理"


class NotRetryable(Conflict):
    code = "certificate_not_retryable"
    message = "只有制作失败的缴费证明可以重新制作"


class VerificationFailed(ValidationFailed):
    """One message for a wrong taxpayer ID, code, check digit or captcha: nothing is revealed."""

    code = "verification_failed"
    message = "校验未通过：纳税人识别号、证明校验码或验证码有误，请核对后重新输入"


class TooManyVerifications(RateLimited):
    code = "verification_rate_limited"
    message = "查验次数过多，请一小时后再试"


class LinkExpired(NotFound):
    code = "certificate_link_expired"
    message = "下载链接已失效，请重新查验后下载"


class CertificateInconsistent(Inconsistent):
    """What a certificate refers to is not as the rules leave it (a person gone, a paid payment without
    its time): a defect, logged; the generation fails rather than print a wrong certificate."""

    code = "certificate_inconsistent"
    message = "缴费证明数据异常，请稍后再试"
