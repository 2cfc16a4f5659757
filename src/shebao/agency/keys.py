"""Agency keys (header X-Agency-Key): 256 random bits, shown once, stored as their SHA-256.

A key is high-entropy, so a plain SHA-256 (no salt, no slow hash) is enough: it cannot be guessed
from its hash, and the hash is what the lookup uses (an indexed equality, no timing to exploit).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.enrolment.models import AgencyKey
from shebao.enrolment.repository import AgencyKeyRepository
from shebao.errors import NotFound
from shebao.reference.repository import ReferenceRepository

KEY_PREFIX = "sbak_"
_MAX_KEY_LENGTH = 128


class UnknownAgency(NotFound):
    code = "unknown_agency"
    message = "社保经办机构代码不存在"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    id: str
    agency_code: str
    agency_name: str
    secret: str  # shown once, never stored


def create_key(session: Session, agency_code: str, *, now: datetime, actor: Actor) -> NewKey:
    agency = ReferenceRepository(session).agency(agency_code)
    if agency is None:
        raise UnknownAgency(f"社保经办机构代码不存在：{agency_code}")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = AgencyKey(agency_code=agency.code, key_hash=hash_key(secret), hint=secret[-4:], created_at=now)
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="agency_key.created",
        object_type="agency_key",
        object_id=row.id,
        at=now,
        after={"agency_code": agency.code, "hint": row.hint},
    )
    return NewKey(id=str(row.id), agency_code=agency.code, agency_name=agency.name, secret=secret)


def authenticate(session: Session, secret: str | None) -> AgencyKey | None:
    """The live key a request presents, or None (missing, malformed, unknown or revoked)."""
    if not secret or len(secret) > _MAX_KEY_LENGTH or not secret.startswith(KEY_PREFIX):
        return None
    return AgencyKeyRepository(session).live_by_hash(hash_key(secret))
