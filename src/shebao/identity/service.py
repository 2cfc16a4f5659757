"""Login: phone (SMS code or platform authorisation) → 实人认证 (name and document) → 人脸认证 → session."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.identity import captcha, errors
from shebao.identity.codes import INTERVAL, LIFETIME_MINUTES, SmsCodes
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
    LOGIN_FAILURES_BEFORE_CAPTCHA,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_PAIR_ADDRESS,
    SMS_PER_ADDRESS_BEFORE_CAPTCHA,
    SMS_PER_ADDRESS_HOUR,
    Limit,
    RateLimiter,
    key_of,
    minutes_left,
)
from shebao.identity.repository import document_index, phone_index
from shebao.identity.sessions import end_session, hash_token, open_session
from shebao.kit.text import normalise_name
from shebao.runtime import Runtime
from shebao.web.clients import address_bucket
from shebao.web.urls import local_path

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
    browser_nonce: str | None = None  # the H5 pages' login cookie (see `complete`)


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


@dataclass(frozen=True)
class CaptchaAnswer:
    captcha_id: str | None = None
    answer: str | None = None


class LoginService:
    def __init__(
        self,
        runtime: Runtime,
        session: Session,
        *,
        client_ip: str,
        channel: str,
        captcha_answer: CaptchaAnswer | None = None,
    ) -> None:
        self.runtime = runtime
        self.session = session
        self.client_ip = client_ip or "unknown"
        self.channel = channel
        self.captcha_answer = captcha_answer or CaptchaAnswer()
        self.limiter = RateLimiter(session)
        self.registry: IdentityRegistry = EnrolmentRegistry()
        self.now = runtime.clock.now()
        self.address = address_bucket(self.client_ip)
        self.address_key = key_of("ip", self.address)

    # Limits ------------------------------------------------------------------------------------
    def _check_lock(self, limit: Limit, key: str) -> None:
        until = self.limiter.locked_until(limit, key, self.now)
        if until is not None:
            raise errors.TooManyFailures(
                f"尝试次数过多，请{minutes_left(until, self.now)}分钟后再试", retry_after=until - self.now
            )

    def _solve_captcha_if(self, needed: bool) -> None:
        """Past a soft limit, a person gets a captcha rather than a refusal."""
        if not needed:
            return
        if not self.captcha_answer.captcha_id:
            raise captcha.CaptchaRequired()
        captcha.solve(self.session, self.captcha_answer.captcha_id, self.captcha_answer.answer, self.now)

    # SMS -----------------------------------------------------------------------------------------
    def send_sms_code(self, raw_phone: str) -> int:
        """Send a code; answers the seconds until this address may ask again for this phone."""
        phone = check_phone(raw_phone)
        codes = SmsCodes(self.session, phone, self.address, self.now)
        self._check_lock(SMS_PER_ADDRESS_HOUR, self.address_key)
        wait = codes.wait()
        if wait is not None and wait.reason == "interval":
            raise errors.SmsTooFrequent(wait.seconds)
        if wait is not None:
            raise errors.SmsDailyCap(wait.seconds)
        self._solve_captcha_if(
            codes.needs_captcha()
            or self.limiter.exceeded(SMS_PER_ADDRESS_BEFORE_CAPTCHA, self.address_key, self.now)
        )
        self.limiter.fail(SMS_PER_ADDRESS_HOUR, self.address_key, self.now)
        code = codes.issue()
        text = f"【京通】您的登录验证码为{code}，{LIFETIME_MINUTES}分钟内有效。请勿泄露给他人。"
        sms_sender(self.runtime.settings.sms_provider).send(self.session, phone, text, code, self.now)
        return int(INTERVAL.total_seconds())

    # Login ---------------------------------------------------------------------------------------
    def _pair(self, phone_key: str, document_key: str) -> str:
        return key_of("pair", phone_key, document_key, self.address)

    def _failed(self, pair: str) -> None:
        self.limiter.fail(LOGIN_FAILURES_PER_PAIR_ADDRESS, pair, self.now)
        self.limiter.fail(LOGIN_FAILURES_PER_ADDRESS, self.address_key, self.now)

    def start(self, request: LoginRequest) -> LoginStarted:
        document = check_document(request.id_type, request.id_number, self.runtime.clock.today())
        document_key = document_index(document.id_type, document.id_number)
        name = normalise_name(request.name)
        self._check_lock(LOGIN_FAILURES_PER_ADDRESS, self.address_key)
        if not request.platform_phone_code:
            phone = check_phone(request.phone)
            if not request.sms_code:
                raise errors.SmsCodeInvalid("请输入短信验证码")
            self._check_lock(LOGIN_FAILURES_PER_PAIR_ADDRESS, self._pair(phone_index(phone), document_key))
        self._solve_captcha_if(
            self.limiter.exceeded(LOGIN_FAILURES_BEFORE_CAPTCHA, self.address_key, self.now)
        )
        if request.platform_phone_code:
            exchanged = phone_authorizer(self.runtime.settings.phone_provider).exchange(
                self.session, request.platform_phone_code, self.now
            )
            if exchanged is None:
                raise errors.PlatformPhoneInvalid()
            phone = exchanged
            self._check_lock(LOGIN_FAILURES_PER_PAIR_ADDRESS, self._pair(phone_index(phone), document_key))
        pair = self._pair(phone_index(phone), document_key)
        codes = SmsCodes(self.session, phone, self.address, self.now)
        sms: SmsCode | None = None
        if not request.platform_phone_code:
            sms = codes.match((request.sms_code or "").strip())
            if sms is None:
                codes.count_wrong_code()
                self._failed(pair)
                raise errors.SmsCodeInvalid().counted()
        person = self.registry.match(self.session, document.id_type, document.id_number, name)
        if person is None:
            if sms is not None:
                codes.count_failure(sms)
            self._failed(pair)
            raise errors.NameMismatch().counted()
        if sms is not None and not codes.use(sms):
            raise errors.SmsCodeInvalid()  # another login took this code a moment ago
        verification = LoginVerification(
            person_id=person.id,
            phone=phone,
            phone_index=phone_index(phone),
            channel=self.channel,
            client_ip=self.client_ip,
            status="started",
            next_path=local_path(request.next_path),
            browser_hash=hash_token(request.browser_nonce) if request.browser_nonce else None,
            created_at=self.now,
            expires_at=self.now + VERIFICATION_LIFETIME,
        )
        self.session.add(verification)
        self.session.flush()
        face = face_verifier(self.runtime.settings.face_provider).start(self.session, verification, person)
        return LoginStarted(verification, face)

    def complete(
        self, verification_id: str, result_token: str, *, kind: str, browser_nonce: str | None = None
    ) -> tuple[LoginSession, str, str]:
        """Check the face result with the provider; answers (session, token, next path).

        A cookie login (the H5 pages) completes only in the browser that started it: its nonce
        cookie must match, or a link could log a victim's browser in as someone else."""
        try:
            key = uuid.UUID(verification_id)
        except ValueError as exc:
            raise errors.VerificationInvalid() from exc
        verification = self.session.scalars(
            select(LoginVerification).where(LoginVerification.id == key).with_for_update()
        ).first()
        if verification is None or verification.status != "started" or self.now >= verification.expires_at:
            raise errors.VerificationInvalid()
        if kind == "cookie" and not (
            verification.browser_hash
            and browser_nonce
            and secrets.compare_digest(verification.browser_hash, hash_token(browser_nonce))
        ):
            raise errors.VerificationInvalid("请在发起登录的浏览器中完成人脸认证")
        person = self.session.get(Person, verification.person_id)
        if person is None:
            raise errors.VerificationInvalid()
        pair = self._pair(verification.phone_index, person.document_index)
        self._check_lock(LOGIN_FAILURES_PER_ADDRESS, self.address_key)
        self._check_lock(LOGIN_FAILURES_PER_PAIR_ADDRESS, pair)
        verifier = face_verifier(self.runtime.settings.face_provider)
        if not verifier.check(self.session, result_token, verification, person, self.now):
            self._failed(pair)
            verification.status = "failed"
            raise errors.FaceFailed().counted()
        verification.status = "used"
        # A login clears the pair's failures (where it started and where it ended).
        started_from = address_bucket(verification.client_ip or "")
        for address in {self.address, started_from}:
            pair_there = key_of("pair", verification.phone_index, person.document_index, address)
            self.limiter.clear(LOGIN_FAILURES_PER_PAIR_ADDRESS, pair_there)
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
