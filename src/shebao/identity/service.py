"""Login: phone (SMS code or platform authorisation) → 实人认证 (name and document) → 人脸认证 → session."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.identity import errors
from shebao.identity.documents import Document, DocumentError, validate, validate_phone
from shebao.identity.models import LoginSession, LoginVerification, Person, SmsCode
from shebao.identity.providers import (
    EnrolmentRegistry,
    FaceStart,
    IdentityRegistry,
    face_verifier,
    phone_authorizer,
    sms_sender,
)
from shebao.identity.ratelimit import (
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_PAIR,
    SMS_PER_ADDRESS_HOUR,
    SMS_PER_PHONE_DAY,
    SMS_PER_PHONE_MINUTE,
    RateLimiter,
    key_of,
)
from shebao.identity.repository import document_index, phone_index
from shebao.identity.sessions import end_session, open_session
from shebao.kit.crypto import blind_index
from shebao.kit.text import normalise_name
from shebao.runtime import Runtime
from shebao.web.urls import local_path

SMS_LIFETIME = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 5
VERIFICATION_LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class LoginRequest:
    name: str
    id_type: str
    id_number: str
    phone: str | None = None
    sms_code: str | None = None
    platform_phone_code: str | None = None
    next_path: str | None = None


@dataclass(frozen=True)
class LoginStarted:
    verification: LoginVerification
    face: FaceStart


def check_document(id_type: str, id_number: str, today: date) -> Document:
    try:
        return validate(id_type, id_number, today=today)
    except DocumentError as exc:
        raise errors.DocumentInvalid(exc.message) from exc


def check_phone(raw: str | None) -> str:
    try:
        return validate_phone(raw or "")
    except ValueError as exc:
        raise errors.PhoneInvalid() from exc


def _code_hash(phone: str, code: str) -> str:
    return blind_index(f"{phone}:{code}", kind="sms-code")


class LoginService:
    def __init__(self, runtime: Runtime, session: Session, *, client_ip: str, channel: str) -> None:
        self.runtime = runtime
        self.session = session
        self.client_ip = client_ip or "unknown"
        self.channel = channel
        self.limiter = RateLimiter(session)
        self.registry: IdentityRegistry = EnrolmentRegistry()
        self.now = runtime.clock.now()

    # SMS -----------------------------------------------------------------------------------------
    def send_sms_code(self, raw_phone: str) -> None:
        phone = check_phone(raw_phone)
        phone_key, ip_key = phone_index(phone), key_of("ip", self.client_ip)
        if self.limiter.exceeded(SMS_PER_PHONE_MINUTE, phone_key, self.now):
            raise errors.SmsTooFrequent()
        if self.limiter.exceeded(SMS_PER_PHONE_DAY, phone_key, self.now):
            raise errors.SmsDailyCap()
        if self.limiter.exceeded(SMS_PER_ADDRESS_HOUR, ip_key, self.now):
            raise errors.TooManyFailures("获取验证码过于频繁，请稍后再试")
        for limit, key in (
            (SMS_PER_PHONE_MINUTE, phone_key),
            (SMS_PER_PHONE_DAY, phone_key),
            (SMS_PER_ADDRESS_HOUR, ip_key),
        ):
            self.limiter.hit(limit, key, self.now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.session.add(
            SmsCode(
                phone_index=phone_key,
                code_hash=_code_hash(phone, code),
                created_at=self.now,
                expires_at=self.now + SMS_LIFETIME,
            )
        )
        text = f"【京通】您的登录验证码为{code}，5分钟内有效。请勿泄露给他人。"
        sms_sender(self.runtime.settings.sms_provider).send(self.session, phone, text, code, self.now)

    def _live_sms_code(self, phone: str, code: str) -> SmsCode | None:
        query = (
            select(SmsCode)
            .where(
                SmsCode.phone_index == phone_index(phone),
                SmsCode.used_at.is_(None),
                SmsCode.expires_at > self.now,
            )
            .order_by(SmsCode.created_at.desc())
            .limit(1)
        )
        row = self.session.scalars(query).first()
        if row is None or row.attempts >= SMS_MAX_ATTEMPTS:
            return None
        if not secrets.compare_digest(row.code_hash, _code_hash(phone, code)):
            self._count_code_attempt(row.id)
            return None
        return row

    def _count_code_attempt(self, code_id: uuid.UUID) -> None:
        self.session.execute(
            update(SmsCode).where(SmsCode.id == code_id).values(attempts=SmsCode.attempts + 1)
        )

    # Login ---------------------------------------------------------------------------------------
    def _failed(self, pair: str) -> None:
        self.limiter.hit(LOGIN_FAILURES_PER_PAIR, pair, self.now)
        self.limiter.hit(LOGIN_FAILURES_PER_ADDRESS, key_of("ip", self.client_ip), self.now)

    def _check_not_locked(self, pair: str) -> None:
        if self.limiter.exceeded(LOGIN_FAILURES_PER_PAIR, pair, self.now) or self.limiter.exceeded(
            LOGIN_FAILURES_PER_ADDRESS, key_of("ip", self.client_ip), self.now
        ):
            raise errors.TooManyFailures()

    def start(self, request: LoginRequest) -> LoginStarted:
        document = check_document(request.id_type, request.id_number, self.runtime.clock.today())
        name = normalise_name(request.name)
        if request.platform_phone_code:
            phone = phone_authorizer(self.runtime.settings.phone_provider).exchange(
                self.session, request.platform_phone_code, self.now
            )
            if phone is None:
                raise errors.PlatformPhoneInvalid()
        else:
            phone = check_phone(request.phone)
            if not request.sms_code:
                raise errors.SmsCodeInvalid("请输入短信验证码")
        doc_key = document_index(document.id_type, document.id_number)
        pair = key_of("pair", phone_index(phone), doc_key)
        self._check_not_locked(pair)
        sms: SmsCode | None = None
        if not request.platform_phone_code:
            sms = self._live_sms_code(phone, (request.sms_code or "").strip())
            if sms is None:
                self._failed(pair)
                raise errors.SmsCodeInvalid().counted()
        person = self.registry.match(self.session, document.id_type, document.id_number, name)
        if person is None:
            self._failed(pair)
            raise errors.NameMismatch().counted()
        if sms is not None:
            sms.used_at = self.now
        verification = LoginVerification(
            person_id=person.id,
            phone=phone,
            phone_index=phone_index(phone),
            channel=self.channel,
            client_ip=self.client_ip,
            status="started",
            next_path=local_path(request.next_path),
            created_at=self.now,
            expires_at=self.now + VERIFICATION_LIFETIME,
        )
        self.session.add(verification)
        self.session.flush()
        face = face_verifier(self.runtime.settings.face_provider).start(self.session, verification, person)
        return LoginStarted(verification, face)

    def complete(
        self, verification_id: str, result_token: str, *, kind: str
    ) -> tuple[LoginSession, str, str]:
        """Check the face result with the provider; answers (session, token, next path)."""
        try:
            key = uuid.UUID(verification_id)
        except ValueError as exc:
            raise errors.VerificationInvalid() from exc
        verification = self.session.scalars(
            select(LoginVerification).where(LoginVerification.id == key).with_for_update()
        ).first()
        if verification is None or verification.status != "started" or self.now >= verification.expires_at:
            raise errors.VerificationInvalid()
        person = self.session.get(Person, verification.person_id)
        assert person is not None
        pair = key_of("pair", verification.phone_index, person.document_index)
        self._check_not_locked(pair)
        verifier = face_verifier(self.runtime.settings.face_provider)
        if not verifier.check(self.session, result_token, verification, person, self.now):
            self._failed(pair)
            verification.status = "failed"
            raise errors.FaceFailed().counted()
        verification.status = "used"
        if person.phone != verification.phone:
            person.phone, person.phone_index = verification.phone, verification.phone_index
            person.updated_at = self.now
        idle = timedelta(minutes=self.runtime.settings.session_idle_minutes)
        login, token = open_session(
            self.session, person.id, kind=kind, channel=verification.channel, now=self.now, idle=idle
        )
        record(
            self.session,
            actor=Actor("payer", str(person.id), verification.channel),
            action="login",
            object_type="login_session",
            object_id=login.id,
            at=self.now,
            after={"kind": kind},
        )
        return login, token, verification.next_path or "/"

    def logout(self, login: LoginSession) -> None:
        row = self.session.get(LoginSession, login.id)
        if row is None or row.ended_at is not None:
            return
        end_session(self.session, row, now=self.now)
        record(
            self.session,
            actor=Actor("payer", str(row.person_id), self.channel),
            action="logout",
            object_type="login_session",
            object_id=row.id,
            at=self.now,
        )
