from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.pagination import Paged

IdTypeCode = Literal[
    "resident_id",
    "hk_mo_permit",
    "hk_mo_residence",
    "tw_permit",
    "tw_residence",
    "foreign_permanent",
    "passport",
]
RelationCode = Literal["spouse", "parent", "child", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaptchaFields(_Strict):
    """Asked for (429 `captcha_required`) only past a soft limit: then from `GET /api/v1/auth/captcha`."""

    captcha_id: str | None = Field(default=None, max_length=64)
    captcha_answer: str | None = Field(default=None, max_length=10)


class SmsCodeRequest(CaptchaFields):
    phone: str = Field(max_length=20)


class SmsCodeSent(BaseModel):
    status: Literal["sent"] = "sent"
    resend_after_seconds: int = Field(description="再次获取验证码前需等待的秒数")


class CaptchaOut(BaseModel):
    captcha_id: str
    image: str = Field(description="data:image/png;base64,… 图形验证码图片")


class LoginCreate(CaptchaFields):
    phone: str | None = Field(default=None, max_length=20)
    sms_code: str | None = Field(default=None, max_length=10)
    platform_phone_code: str | None = Field(default=None, max_length=200)
    name: str = Field(min_length=1, max_length=50)
    id_type: IdTypeCode = "resident_id"
    id_number: str = Field(min_length=1, max_length=30)


class FaceStep(BaseModel):
    provider: str
    url: str
    params: dict[str, Any] = {}


class LoginStarted(BaseModel):
    verification_id: str
    face: FaceStep


class FaceComplete(_Strict):
    verification_id: uuid.UUID = Field(description="认证编号（POST /api/v1/auth/login 的 verification_id）")
    result_token: str = Field(max_length=2000)


class AccessToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime


class Me(BaseModel):
    id: str
    name: str
    id_type: str
    id_type_label: str
    id_number: str
    phone: str
    taxpayer_id: str


class FamilyCreate(_Strict):
    name: str = Field(min_length=1, max_length=50)
    id_type: IdTypeCode = "resident_id"
    id_number: str = Field(min_length=1, max_length=30)
    relation: RelationCode


class FamilyMemberOut(BaseModel):
    id: str
    name: str
    id_type: str
    id_type_label: str
    id_number: str
    relation: str
    relation_label: str
    consent: bool = Field(description="该成员是否已授权本人查询其全部缴费记录")


class FamilyList(Paged):
    items: list[FamilyMemberOut]


class ConsentOut(BaseModel):
    family_id: str
    payer_name: str
    granted: bool


class ConsentList(Paged):
    items: list[ConsentOut]
