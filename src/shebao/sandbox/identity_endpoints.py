"""Sandbox SMS outbox, platform phone authorisation and face step (API.md, Sandboxes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from shebao.deps import Clock, DbSession, WriteSession
from shebao.errors import NotFound
from shebao.identity import captcha
from shebao.identity.documents import validate_phone
from shebao.identity.errors import PhoneInvalid
from shebao.identity.models import LoginVerification, Person
from shebao.identity.repository import phone_index
from shebao.kit.params import VerificationID
from shebao.sandbox.face import issue_token
from shebao.sandbox.models import SandboxSms
from shebao.sandbox.platform_phone import issue_code
from shebao.web.templating import render

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


class OutboxEntry(BaseModel):
    phone: str
    code: str
    sent_at: datetime


class PlatformPhoneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str


class PlatformPhoneCode(BaseModel):
    platform_phone_code: str


class FaceOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["pass", "fail"]


class FaceResult(BaseModel):
    result_token: str


def _phone(raw: str) -> str:
    try:
        return validate_phone(raw)
    except ValueError as exc:
        raise PhoneInvalid() from exc


@router.get("/sms/outbox", response_model=OutboxEntry, summary="模拟短信：某手机号最近一条验证码")
def sms_outbox(phone: str, session: DbSession) -> OutboxEntry:
    number = _phone(phone)
    query = (
        select(SandboxSms)
        .where(SandboxSms.phone_index == phone_index(number))
        .order_by(SandboxSms.sent_at.desc())
    )
    row = session.scalars(query.limit(1)).first()
    if row is None:
        raise NotFound("该手机号没有发送记录")
    return OutboxEntry(phone=row.phone, code=row.code, sent_at=row.sent_at)


class CaptchaAnswerOut(BaseModel):
    answer: str


@router.get("/auth/captcha/{captcha_id}", response_model=CaptchaAnswerOut, summary="模拟：图形验证码的答案")
def captcha_answer(captcha_id: str, session: DbSession) -> CaptchaAnswerOut:
    try:
        key = uuid.UUID(captcha_id)
    except ValueError as exc:
        raise NotFound("图形验证码不存在") from exc
    answer = captcha.answer_of(session, key)
    if answer is None:
        raise NotFound("图形验证码不存在")
    return CaptchaAnswerOut(answer=answer)


@router.post(
    "/platform-phone", response_model=PlatformPhoneCode, summary="模拟小程序平台的手机号授权（允许授权）"
)
def platform_phone(body: PlatformPhoneRequest, session: WriteSession, clock: Clock) -> PlatformPhoneCode:
    return PlatformPhoneCode(platform_phone_code=issue_code(session, _phone(body.phone), clock.now()))


def _verification(
    session: DbSession | WriteSession, verification_id: uuid.UUID
) -> tuple[LoginVerification, Person]:
    verification = session.get(LoginVerification, verification_id)
    person = session.get(Person, verification.person_id) if verification else None
    if verification is None or person is None:
        raise NotFound("认证不存在")
    return verification, person


@router.post("/face/{verification_id}", response_model=FaceResult, summary="模拟人脸识别：返回结果令牌")
def face(verification_id: VerificationID, body: FaceOutcome, session: DbSession, clock: Clock) -> FaceResult:
    verification, person = _verification(session, verification_id)
    return FaceResult(result_token=issue_token(verification, person, body.outcome, clock.now().timestamp()))


@router.get("/face/{verification_id}", response_class=HTMLResponse, include_in_schema=False)
def face_page(verification_id: VerificationID, request: Request, session: DbSession) -> HTMLResponse:
    verification, person = _verification(session, verification_id)
    return render(
        request,
        "sandbox/face.html",
        {"title": "人脸认证", "verification": verification, "masked_name": person.masked_name},
    )


@router.post("/face/{verification_id}/scan", include_in_schema=False)
def face_scan(
    verification_id: VerificationID,
    session: DbSession,
    clock: Clock,
    outcome: str = Form(pattern="^(pass|fail)$"),
) -> RedirectResponse:
    verification, person = _verification(session, verification_id)
    token = issue_token(verification, person, outcome, clock.now().timestamp())
    return RedirectResponse(
        f"/login/face/done?verification_id={verification.id}&result_token={token}", status_code=303
    )
