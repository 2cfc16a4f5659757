"""Simulated mini-program phone authorisation (the user taps 允许授权; the client gets a code)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.identity.providers import register_phone_authorizer
from shebao.sandbox.models import SandboxPhoneCode

CODE_LIFETIME = timedelta(minutes=5)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def issue_code(session: Session, phone: str, now: datetime) -> str:
    code = secrets.token_urlsafe(24)
    session.add(SandboxPhoneCode(code_hash=_hash(code), phone=phone, expires_at=now + CODE_LIFETIME))
    return code


class SandboxPhoneAuthorizer:
    name = "sandbox"

    def exchange(self, session: Session, platform_phone_code: str, now: datetime) -> str | None:
        row = session.scalars(
            select(SandboxPhoneCode)
            .where(SandboxPhoneCode.code_hash == _hash(platform_phone_code))
            .with_for_update()
        ).first()
        if row is None or row.used_at is not None or now >= row.expires_at:
            return None
        row.used_at = now
        return row.phone


register_phone_authorizer("sandbox", SandboxPhoneAuthorizer)
