"""The console's authentication API bodies (API.md, Operator console)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Strict):
    username: str = Field(min_length=1, max_length=64, description="用户名")
    password: str = Field(min_length=1, max_length=256, description="密码（首次登录为初始密码）")
    totp: str = Field(min_length=1, max_length=16, description="动态口令：身份验证器应用显示的6位数字")


class LoginOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    password_change_required: bool = Field(description="为 true 时须先修改初始密码，其余控制台接口返回403")
    expires_at: datetime = Field(description="无操作时的过期时间（每次请求顺延）")


class PasswordIn(_Strict):
    new_password: str = Field(min_length=1, max_length=256, description="新密码：至少12位，不能与原密码相同")


class PasswordChanged(BaseModel):
    status: Literal["changed"] = "changed"
    password_change_required: bool = False


class LoggedOut(BaseModel):
    status: Literal["logged_out"] = "logged_out"


class StaffOut(BaseModel):
    id: uuid.UUID
    username: str
    role: Literal["viewer", "operator", "approver", "admin"]
    role_label: str = Field(description="角色的中文名称")
    tax_office_code: str | None = Field(description="所属税务所；为空表示可查看全部税务所的管理员")
    tax_office_name: str | None
