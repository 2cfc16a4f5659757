"""缴费证明查验 (public, no login): captcha, rate limits, one keyed lookup, every attempt audited.

A wrong taxpayer ID, an unknown code, a wrong check digit and a wrong, used or expired captcha all
answer the same `VerificationFailed`, so a guesser learns nothing about which part was wrong.
Failures count per client address and per taxpayer ID (blind-indexed keys), committed even though
the request fails; past the limits the answer is 429 before anything is looked up.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from captcha.image import ImageCaptcha
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.certificates import errors
from shebao.certificates.codes import is_well_formed
from shebao.certificates.content import Content
from shebao.certificates.models import READY, Captcha, Certificate
from shebao.certificates.repository import CertificateRepository
from shebao.config import Settings
from shebao.errors import ValidationFailed
from shebao.identity.ratelimit import Limit, RateLimiter, key_of
from shebao.kit import crypto
from shebao.runtime import Runtime

CAPTCHA_TTL = timedelta(minutes=5)
CAPTCHA_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I look-alikes
CAPTCHA_LENGTH = 4
LINK_TTL = timedelta(minutes=10)
FAILURES_PER_ADDRESS = Limit("cert-verify-ip", 20, timedelta(hours=1), sliding=True)
FAILURES_PER_TAXPAYER = Limit("cert-verify-taxpayer", 10, timedelta(hours=1), sliding=True)
CAPTCHAS_PER_ADDRESS = Limit("captcha-ip", 120, timedelta(hours=1))
VERIFY_PATH = "/verify"


def normalise_taxpayer_id(value: str) -> str:
    return value.strip().upper()


def verification_index(taxpayer_id: str, code: str) -> str:
    return crypto.blind_index(f"{normalise_taxpayer_id(taxpayer_id)}|{code}", kind="certificate-verification")


def verify_url(settings: Settings, taxpayer_id: str, code: str) -> str:
    """The QR code's target: the public verification page with both fields prefilled."""
    query = urlencode({"taxpayer_id": taxpayer_id, "code": code})
    return f"{settings.base_url.rstrip('/')}{VERIFY_PATH}?{query}"


def _answer_hash(captcha_id: uuid.UUID, answer: str) -> str:
    return crypto.blind_index(f"{captcha_id}|{answer.strip().upper()}", kind="captcha")


@dataclass(frozen=True)
class NewCaptcha:
    captcha_id: uuid.UUID
    image_png: bytes

    @property
    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.image_png).decode("ascii")


@dataclass(frozen=True)
class Verified:
    certificate: Certificate
    content: Content
    pdf_token: str


class Verifier:
    def __init__(self, runtime: Runtime, session: Session, *, client_ip: str) -> None:
        self.runtime = runtime
        self.session = session
        self.client_ip = client_ip or "unknown"
        self.limiter = RateLimiter(session)
        self.repository = CertificateRepository(session)

    def new_captcha(self) -> NewCaptcha:
        now = self.runtime.clock.now()
        address = key_of("ip", self.client_ip)
        if self.limiter.exceeded(CAPTCHAS_PER_ADDRESS, address, now):
            raise errors.TooManyVerifications()
        self.limiter.hit(CAPTCHAS_PER_ADDRESS, address, now)
        answer = "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))
        row = Captcha(
            id=uuid.uuid4(),
            created_at=now,
            expires_at=now + CAPTCHA_TTL,
            sandbox_answer=answer if self.runtime.settings.sandboxes_enabled else None,
        )
        row.answer_hash = _answer_hash(row.id, answer)
        self.session.add(row)
        image = ImageCaptcha(width=160, height=60).generate(answer, format="png")
        return NewCaptcha(captcha_id=row.id, image_png=image.getvalue())

    def verify(self, taxpayer_id: str, code: str, captcha_id: str, captcha_answer: str) -> Verified:
        now = self.runtime.clock.now()
        taxpayer_id = normalise_taxpayer_id(taxpayer_id)
        code = code.strip()
        address, taxpayer = key_of("ip", self.client_ip), key_of("taxpayer", taxpayer_id)
        if self.limiter.exceeded(FAILURES_PER_ADDRESS, address, now) or self.limiter.exceeded(
            FAILURES_PER_TAXPAYER, taxpayer, now
        ):
            raise errors.TooManyVerifications()
        _check_form(taxpayer_id, code)
        if not is_well_formed(code):
            # The check digit is public arithmetic (the page checks it too): nothing to count.
            raise errors.VerificationFailed()
        captcha = self._captcha(captcha_id)
        if captcha is None or captcha.used_at is not None or captcha.expires_at <= now:
            raise errors.VerificationFailed()
        captcha.used_at = now  # single use, whatever follows
        if not hmac.compare_digest(captcha.answer_hash, _answer_hash(captcha.id, captcha_answer)):
            raise self._failed(address, taxpayer, now, reason="captcha")
        certificate = self.repository.by_verification_index(verification_index(taxpayer_id, code))
        if certificate is None or certificate.status != READY or certificate.content is None:
            raise self._failed(address, taxpayer, now, reason="no_match")
        self._audit("certificate.verified", certificate.id, now, outcome="match")
        content = Content.from_json(certificate.content)
        return Verified(
            certificate=certificate, content=content, pdf_token=pdf_token(certificate.id, now + LINK_TTL)
        )

    def _captcha(self, captcha_id: str) -> Captcha | None:
        try:
            key = uuid.UUID(captcha_id)
        except ValueError:
            return None
        return self.repository.captcha_for_update(key)

    def _failed(
        self, address: str, taxpayer: str, now: datetime, *, reason: str
    ) -> errors.VerificationFailed:
        self.limiter.hit(FAILURES_PER_ADDRESS, address, now)
        self.limiter.hit(FAILURES_PER_TAXPAYER, taxpayer, now)
        self._audit("certificate.verification_failed", None, now, outcome=reason)
        error = errors.VerificationFailed()
        error.counted()
        return error

    def _audit(self, action: str, certificate_id: uuid.UUID | None, now: datetime, *, outcome: str) -> None:
        record(
            self.session,
            actor=Actor(type="public", id=key_of("ip", self.client_ip)[:16], channel="h5"),
            action=action,
            object_type="certificate",
            object_id=certificate_id or "-",
            at=now,
            after={"outcome": outcome},
        )


def _check_form(taxpayer_id: str, code: str) -> None:
    """Field-level checks that reveal nothing (lengths, characters): a 422 naming the field."""
    fields: dict[str, str] = {}
    if not 15 <= len(taxpayer_id) <= 20 or not taxpayer_id.isalnum() or not taxpayer_id.isascii():
        fields["taxpayer_id"] = "请输入缴费证明上的纳税人识别号（15至20位数字或字母）"
    if len(code) != 16 or not code.isdigit() or not code.isascii():
        fields["verification_code"] = "证明校验码应为16位数字"
    if fields:
        raise ValidationFailed("；".join(fields.values()), fields=fields)


def pdf_token(certificate_id: uuid.UUID, expires_at: datetime) -> str:
    """A link to the original PDF for whoever verified: the id and an expiry, signed."""
    message = f"{certificate_id}|{int(expires_at.timestamp())}"
    signature = crypto.vault().sign(message.encode("ascii"))
    return base64.urlsafe_b64encode(message.encode("ascii") + b"|" + signature).decode("ascii").rstrip("=")


def read_pdf_token(token: str, now: datetime) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        certificate_id, expires, signature = raw.split(b"|", 2)
        message = certificate_id + b"|" + expires
        if not crypto.vault().verify(message, signature) or int(expires) < int(now.timestamp()):
            raise errors.LinkExpired()
        return uuid.UUID(certificate_id.decode("ascii"))
    except (ValueError, TypeError) as exc:
        raise errors.LinkExpired() from exc
