"""Simulated SMS gateway: writes to the outbox that `GET /sandbox/sms/outbox` reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shebao.identity.providers import register_sms_sender
from shebao.identity.repository import phone_index
from shebao.sandbox.models import SandboxSms


class SandboxSmsSender:
    name = "sandbox"

    def send(self, session: Session, phone: str, text: str, code: str, now: datetime) -> None:
        session.add(
            SandboxSms(phone_index=phone_index(phone), phone=phone, text=text, code=code, sent_at=now)
        )


register_sms_sender("sandbox", SandboxSmsSender)
