from __future__ import annotations

import math
from datetime import timedelta

from shebao.errors import Conflict, RateLimited, ValidationFailed


class NameMismatch(ValidationFailed):
    """Also the answer for a document the system does not know: answers never reveal which."""

    code = "name_mismatch"
    message = "姓名与证件号码不一致"


class DocumentInvalid(ValidationFailed):
    code = "document_invalid"


class PhoneInvalid(ValidationFailed):
    code = "phone_invalid"
    message = "手机号码格式不正确"


class SmsCodeInvalid(ValidationFailed):
    code = "sms_code_invalid"
    message = "短信验证码错误或已失效，请重新获取"


class PlatformPhoneInvalid(ValidationFailed):
    code = "platform_phone_invalid"
    message = "手机号授权已失效，请重新授权"


class VerificationInvalid(ValidationFailed):
    code = "verification_invalid"
    message = "认证已失效，请重新登录"


class FaceFailed(ValidationFailed):
    code = "face_failed"
    message = "人脸识别未通过，请重新认证"


class SmsTooFrequent(RateLimited):
    code = "sms_too_frequent"
    message = "验证码发送过于频繁，请稍后再试"

    def __init__(self, seconds: int) -> None:
        super().__init__(f"验证码已发送，请{seconds}秒后再获取", retry_after=timedelta(seconds=seconds))


class SmsDailyCap(RateLimited):
    code = "sms_daily_cap"
    message = "获取验证码次数已达上限，请稍后再试"

    def __init__(self, seconds: int) -> None:
        hours = max(1, math.ceil(seconds / 3600))
        super().__init__(
            f"今日获取验证码次数已达上限，请{hours}小时后再试", retry_after=timedelta(seconds=seconds)
        )


class TooManyFailures(RateLimited):
    code = "too_many_failures"
    message = "尝试次数过多，请稍后再试"


class FamilySelf(ValidationFailed):
    code = "family_self"
    message = "不能添加本人为家庭成员"


class FamilyExists(Conflict):
    code = "family_exists"
    message = "该家庭成员已添加"
