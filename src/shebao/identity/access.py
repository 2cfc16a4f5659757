"""What a payer may see and do for whom (DESIGN.md, Security and privacy).

A payer acts on their own records, on what their family members owe (to pay it) and on the payments
they made themselves; a member's other records need that member's consent. Anything else is 404.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shebao.errors import NotFound
from shebao.identity.models import Person
from shebao.identity.repository import FamilyRepository, PersonRepository


def parse_id(raw: str | None) -> uuid.UUID | None:
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound() from exc


def insured_for(session: Session, payer: Person, family_id: uuid.UUID | str | None) -> Person:
    """The insured person a request is about: the payer, or a live family member (`payer_id` of the API)."""
    if family_id is None or family_id == "":
        return payer
    key = family_id if isinstance(family_id, uuid.UUID) else parse_id(family_id)
    assert key is not None
    link = FamilyRepository(session).member(payer.id, key)
    if link is None:
        raise NotFound("未找到该家庭成员")
    member = PersonRepository(session).get(link.member_id)
    if member is None:
        raise NotFound("未找到该家庭成员")
    return member


def has_consent(session: Session, payer: Person, member: Person) -> bool:
    """May `payer` see `member`'s records beyond what the payer paid? Only with the member's 授权."""
    return payer.id == member.id or FamilyRepository(session).consent(member.id, payer.id) is not None
