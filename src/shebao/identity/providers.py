"""The pluggable steps of login. Each has a sandbox implementation for dev, demo and test; a deployment
plugs in real ones by name through settings (SHEBAO_FACE_PROVIDER, SHEBAO_SMS_PROVIDER,
SHEBAO_PHONE_PROVIDER). An implementation registers its name when its module is imported
(`register_face_verifier` and the like; `shebao.registrations` imports the sandbox's). Production
refuses the sandbox ones (config.check_for_production).

Interface for a real face provider (e.g. a 实人认证 service):
    start(verification, person) -> FaceStart: ask the provider for a session bound to the verification
        id and the person's document; answer where the client goes (H5 URL, or mini-program params).
    check(result_token, verification, person) -> bool: ask the provider (server to server) whether
        the token is genuine, unused, unexpired, for this verification and document, and passed.
"""

from __future__ import annotations

from collections.abc import Callable
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


_face_verifiers: dict[str, Callable[[], FaceVerifier]] = {}
_sms_senders: dict[str, Callable[[], SmsSender]] = {}
_phone_authorizers: dict[str, Callable[[], PhoneAuthorizer]] = {}


def register_face_verifier(name: str, make: Callable[[], FaceVerifier]) -> None:
    _face_verifiers[name] = make


def register_sms_sender(name: str, make: Callable[[], SmsSender]) -> None:
    _sms_senders[name] = make


def register_phone_authorizer(name: str, make: Callable[[], PhoneAuthorizer]) -> None:
    _phone_authorizers[name] = make


def face_verifier(name: str) -> FaceVerifier:
    if name not in _face_verifiers:
        raise UnknownProvider(f"unknown face provider: {name}")
    return _face_verifiers[name]()


def sms_sender(name: str) -> SmsSender:
    if name not in _sms_senders:
        raise UnknownProvider(f"unknown SMS provider: {name}")
    return _sms_senders[name]()


def phone_authorizer(name: str) -> PhoneAuthorizer:
    if name not in _phone_authorizers:
        raise UnknownProvider(f"unknown platform phone provider: {name}")
    return _phone_authorizers[name]()


class EnrolmentRegistry:
    """Matches against the persons the agencies enrolled: name and document must both match."""

    def match(self, session: Session, id_type: str, id_number: str, name: str) -> Person | None:
        from shebao.identity.repository import PersonRepository

        person = PersonRepository(session).by_document(id_type, id_number)
        if person is None or person.name != name:
            return None
        return person
