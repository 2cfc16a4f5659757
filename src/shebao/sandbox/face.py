"""Simulated face verification. The provider step is a page (or `POST /sandbox/face/{id}`) that hands back
a result token: signed, expiring, bound to the verification and the person's document, and single use
(the verification it completes can be completed once)."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from shebao.identity.models import LoginVerification, Person
from shebao.identity.providers import FaceStart, register_face_verifier
from shebao.kit.crypto import vault

TOKEN_LIFETIME = timedelta(minutes=5)
_PURPOSE = b"sandbox-face|"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(verification: LoginVerification, person: Person, outcome: str, now_ts: float) -> str:
    payload = {
        "v": str(verification.id),
        "d": person.document_index,
        "o": outcome,
        "exp": int(now_ts + TOKEN_LIFETIME.total_seconds()),
        "n": secrets.token_hex(8),
    }
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return f"{_b64(body)}.{_b64(vault().sign(_PURPOSE + body))}"


def read_token(token: str) -> dict[str, object] | None:
    try:
        body_text, signature_text = token.split(".", 1)
        body, signature = _unb64(body_text), _unb64(signature_text)
    except (ValueError, TypeError):
        return None
    if not vault().verify(_PURPOSE + body, signature):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


class SandboxFaceVerifier:
    name = "sandbox"

    def start(self, session: Session, verification: LoginVerification, person: Person) -> FaceStart:
        return FaceStart(provider=self.name, url=f"/sandbox/face/{verification.id}")

    def check(
        self,
        session: Session,
        result_token: str,
        verification: LoginVerification,
        person: Person,
        now: datetime,
    ) -> bool:
        payload = read_token(result_token)
        if payload is None:
            return False
        exp = payload.get("exp")
        return (
            payload.get("v") == str(verification.id)
            and payload.get("d") == person.document_index
            and payload.get("o") == "pass"
            and isinstance(exp, int)
            and now.timestamp() < exp
        )


register_face_verifier("sandbox", SandboxFaceVerifier)
