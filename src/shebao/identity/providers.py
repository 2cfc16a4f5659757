"""The pluggable steps of login. Each has a sandbox implementation for dev, demo and test; a deployment
plugs in real ones by name through settings (SHEBAO_FACE_PROVIDER, SHEBAO_SMS_PROVIDER,
SHEBAO_PHONE_PROVIDER). Production refuses the sandbox ones (config.check_for_production).

Interface for a real face provider (e.g. a 实人认证 service):
    start(verification, person) -> FaceStart: ask the provider for a session bound to the verification
        id and the person's document; answer where the client goes (H5 URL, or mini-program params).
    check(result_token, verification, person) -> bool: ask the provider (server to server) whether
        the token is genuine, unused, unexpired, for this verification and document, and passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shebao.identity.models import LoginVerification, Person


@dataclass(frozen=True)
class FaceStart:
    provider: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)


class FaceVerifier(Protocol):
    name: str

    def start(self, session: Session, verification: LoginVerification, person: Person) -> FaceStart: ...

    def check(
        self,
        session: Session,
        result_token: str,
        verification: LoginVerification,
        person: Person,
        now: datetime,
    ) -> bool: ...


class SmsSender(Protocol):
    name: str

    def send(self, session: Session, phone: str, text: str, code: str, now: datetime) -> None: ...


class PhoneAuthorizer(Protocol):
    """Exchanges a mini-program platform's phone authorisation code for the user's phone number."""

    name: str

    def exchange(self, session: Session, platform_phone_code: str, now: datetime) -> str | None: ...


class IdentityRegistry(Protocol):
    """Whom the system knows: by default the agencies' enrolment data (the persons table)."""

    def match(self, session: Session, id_type: str, id_number: str, name: str) -> Person | None: ...


class UnknownProvider(RuntimeError):
    pass


def face_verifier(name: str) -> FaceVerifier:
    if name == "sandbox":
        from shebao.sandbox.face import SandboxFaceVerifier

        return SandboxFaceVerifier()
    raise UnknownProvider(f"unknown face provider: {name}")


def sms_sender(name: str) -> SmsSender:
    if name == "sandbox":
        from shebao.sandbox.sms import SandboxSmsSender

        return SandboxSmsSender()
    raise UnknownProvider(f"unknown SMS provider: {name}")


def phone_authorizer(name: str) -> PhoneAuthorizer:
    if name == "sandbox":
        from shebao.sandbox.platform_phone import SandboxPhoneAuthorizer

        return SandboxPhoneAuthorizer()
    raise UnknownProvider(f"unknown platform phone provider: {name}")


class EnrolmentRegistry:
    """Matches against the persons the agencies enrolled: name and document must both match."""

    def match(self, session: Session, id_type: str, id_number: str, name: str) -> Person | None:
        from shebao.identity.repository import PersonRepository

        person = PersonRepository(session).by_document(id_type, id_number)
        if person is None or person.name != name:
            return None
        return person
