"""The console's refusals, each a status, a stable code and a Chinese message."""

from __future__ import annotations

from shebao.errors import NotLoggedIn, ShebaoError


class LoginFailed(NotLoggedIn):
    """One answer for an unknown username, a wrong password and a wrong or reused TOTP code."""

    code = "login_failed"
    message = "用户名、密码或动态口令不正确"


class ConsoleNotLoggedIn(NotLoggedIn):
    code = "console_not_logged_in"
    message = "请先登录税务所控制台（登录已过期或已退出）"


class Forbidden(ShebaoError):
    status_code = 403
    code = "forbidden"
    message = "您的角色无权办理该业务"


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    message = "请先修改初始密码，再使用控制台"


class OperatorDisabled(Forbidden):
    code = "operator_disabled"
    message = "该账号已停用，请联系管理员"
