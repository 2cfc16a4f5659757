"""Errors that carry their meaning: an HTTP status, a stable code and a Chinese message for people."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar


class ShebaoError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "请求有误"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None) -> None:
        self.detail = message or self.message
        self.fields = fields or {}
        # True when the request's changes so far must be kept although it fails (a counted failure).
        self.commit_anyway = False
        super().__init__(self.detail)

    def counted(self) -> ShebaoError:
        """Mark this error as one whose request still commits (e.g. a rate-limit failure count)."""
        self.commit_anyway = True
        return self

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.detail}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class BadRequest(ShebaoError):
    status_code = 400
    code = "bad_request"
    message = "请求有误"


class ValidationFailed(ShebaoError):
    status_code = 422
    code = "validation_failed"
    message = "填写的信息有误，请检查后重试"


class NotLoggedIn(ShebaoError):
    status_code = 401
    code = "not_logged_in"
    message = "请先登录"


class NotFound(ShebaoError):
    """Also the answer for another payer's data: ids reveal nothing (API.md)."""

    status_code = 404
    code = "not_found"
    message = "未找到相关信息"


class Conflict(ShebaoError):
    status_code = 409
    code = "conflict"
    message = "当前状态不能办理该业务"


class RateLimited(ShebaoError):
    status_code = 429
    code = "rate_limited"
    message = "操作过于频繁，请稍后再试"

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(message, fields=fields)
        # How long until trying again can succeed: the message says it, `Retry-After` carries it.
        self.retry_after = retry_after


class CsrfFailed(ShebaoError):
    status_code = 403
    code = "csrf_failed"
    message = "页面已过期，请返回上一页刷新后重试"


class Inconsistent(ShebaoError):
    """A state the rules rule out (a broken invariant or wiring): a defect, logged and answered 500."""

    status_code = 500
    code = "inconsistent"
    message = "系统数据异常，请稍后再试"


class MisconfiguredChannel(Inconsistent):
    """A channel whose adapter cannot do what the caller needs (statements, agreements)."""

    code = "channel_misconfigured"
    message = "支付渠道配置有误，请联系运维人员"
