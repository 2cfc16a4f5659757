"""图形验证码: issued as a PNG, checked server-side once (right or wrong, a checked one is spent).

Asked for where a limit would otherwise throttle people who share an address or a phone with an
abuser (docs/security.md): solving one costs a person seconds and a guessing script much more.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from captcha.image import ImageCaptcha
from sqlalchemy import update
from sqlalchemy.orm import Session

from shebao.errors import RateLimited, ValidationFailed
from shebao.identity.models import LoginCaptcha as Captcha
from shebao.identity.ratelimit import CAPTCHAS_PER_ADDRESS, RateLimiter, key_of, minutes_left

# No 0/O, 1/I/L: letters a person reads without doubt. Four of 32: about a million answers.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 4
LIFETIME = timedelta(minutes=5)


class CaptchaRequired(RateLimited):
    code = "captcha_required"
    message = "操作较多，请输入图形验证码后继续"


class CaptchaInvalid(ValidationFailed):
    code = "captcha_invalid"
    message = "图形验证码错误或已失效，请重新输入"


@dataclass(frozen=True)
class IssuedCaptcha:
    id: uuid.UUID
    image: str  # data:image/png;base64,…


def issue_for(session: Session, address: str, now: datetime) -> IssuedCaptcha:
    """A captcha for a client at `address` (an address asking for too many is locked for a while)."""
    limiter = RateLimiter(session)
    key = key_of("ip", address)
    until = limiter.locked_until(CAPTCHAS_PER_ADDRESS, key, now)
    if until is not None:
        raise RateLimited(
            f"获取图形验证码过于频繁，请{minutes_left(until, now)}分钟后再试", retry_after=until - now
        )
    limiter.fail(CAPTCHAS_PER_ADDRESS, key, now)
    return issue(session, now)


def issue(session: Session, now: datetime) -> IssuedCaptcha:
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    row = Captcha(id=uuid.uuid4(), answer=answer, created_at=now, expires_at=now + LIFETIME)
    session.add(row)
    png = ImageCaptcha(width=160, height=60).generate(answer, format="png").getvalue()
    return IssuedCaptcha(row.id, "data:image/png;base64," + base64.b64encode(png).decode("ascii"))


def solve(session: Session, captcha_id: str | None, answer: str | None, now: datetime) -> None:
    """Spend the captcha; raise `CaptchaInvalid` unless it was live and the answer right."""
    try:
        key = uuid.UUID(captcha_id or "")
    except ValueError as exc:
        raise CaptchaInvalid().counted() from exc
    spent = session.execute(
        update(Captcha)
        .where(Captcha.id == key, Captcha.used_at.is_(None), Captcha.expires_at > now)
        .values(used_at=now)
        .returning(Captcha.answer)
    ).scalar()
    given = (answer or "").strip().upper().encode("utf-8")
    if spent is None or not secrets.compare_digest(spent.encode("utf-8"), given):
        raise CaptchaInvalid().counted()  # spent, right or wrong: the request commits that


def answer_of(session: Session, captcha_id: uuid.UUID) -> str | None:
    """The sandbox's peek at the answer (dev, demo and test only)."""
    row = session.get(Captcha, captcha_id)
    return row.answer if row is not None else None
