"""What a payer may see and do for whom (DESIGN.md, Security and privacy): the one access rule.

A payer acts on their own records, on what their family members owe (to pay it) and on what they did
themselves (declared, paid); a member's other records need that member's consent (授权), given from
the member's own login. Anything else is 404.

`Viewer` holds the rule for one logged-in payer. Every guarded object is described by the same three
things: whose it is (`person`), who acted on it (`actor`: the declarer, the payer of a payment, the
applicant for a certificate) and whether it is still owed. `may_see` answers for one loaded object;
`where` is the same rule as a SQL condition for the repositories. An entity names its three things
once, in its `access` (a `Guard`). A test checks that the two forms agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Final, Protocol

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from shebao.errors import NotFound, ValidationFailed
from shebao.identity.models import Consent, FamilyMember, Person
from shebao.identity.repository import PersonRepository


def parse_id(raw: str | uuid.UUID | None, *, name: str = "id", label: str = "编号") -> uuid.UUID | None:
    """An id typed into a form or query: empty is None; anything but a UUID is a 422 naming the field."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, uuid.UUID):  # already typed by its route
        return raw
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        message = f"{label}格式不正确"
        raise ValidationFailed(message, fields={name: message}) from exc


@dataclass(frozen=True)
class Guard:
    """The attributes (on the instance and on the mapped class) naming whose an object is, who acted on
    it, and whether it is still owed (a boolean hybrid; None for objects never owed)."""

    person: str
    actor: str
    owed: str | None = None


class Guarded(Protocol):
    access: ClassVar[Guard]


@dataclass(frozen=True)
class Whom:
    """查询对象: whose objects a list shows; `member` is the insured person of a family member."""

    kind: str
    member: uuid.UUID | None = None


SELF: Final = Whom("self")  # 本人: the payer's own objects, whoever acted on them
MINE: Final = Whom("mine")  # the payer's own and what the payer did for others (the API's default)
EVERYTHING: Final = Whom("everything")  # 全部: all the rule lets the payer see
ALL_CHOICE: Final = "all"  # the pages' value of 全部 in a 查询对象 picker ("" is 本人)


class Viewer:
    """The rule for one payer. The family links are read on first need: most requests are about the
    payer's own objects, and then they cost no query (two fewer round trips on every poll of a payment)."""

    def __init__(
        self,
        payer_id: uuid.UUID,
        family: Callable[[], tuple[dict[uuid.UUID, uuid.UUID], frozenset[uuid.UUID]]],
    ):
        self.payer_id = payer_id
        self._family = family

    @classmethod
    def of(cls, session: Session, payer: Person) -> Viewer:
        return cls(payer.id, lambda: _family_of(session, payer.id))

    @cached_property
    def _links(self) -> tuple[dict[uuid.UUID, uuid.UUID], frozenset[uuid.UUID]]:
        return self._family()

    @property
    def members(self) -> dict[uuid.UUID, uuid.UUID]:
        """Live family row id (the API's `payer_id`) → member person id."""
        return self._links[0]

    @property
    def consented(self) -> frozenset[uuid.UUID]:
        """Members who gave this payer their consent."""
        return self._links[1]

    # the rule, for one object ---------------------------------------------------------------------
    def may_see(self, found: Guarded) -> bool:
        """May the payer see (and pay, when owed) this object? A no is a 404 to the caller."""
        guard = found.access
        person, actor = getattr(found, guard.person), getattr(found, guard.actor)
        if self.payer_id in (person, actor):
            return True
        if person not in self.members.values():
            return False
        return person in self.consented or (guard.owed is not None and bool(getattr(found, guard.owed)))

    def has_consent(self, person: uuid.UUID) -> bool:
        """May the payer see all of `person`'s records (their own, or a consenting member's)?"""
        return person == self.payer_id or person in self.consented

    # the rule, as SQL -----------------------------------------------------------------------------
    def where(self, entity: type[Guarded], whom: Whom = EVERYTHING) -> ColumnElement[bool]:
        """The rule over `entity`'s columns, narrowed to `whom` (a WHERE clause for its repository)."""
        guard = entity.access
        person, actor = getattr(entity, guard.person), getattr(entity, guard.actor)
        owed: ColumnElement[bool] | None = getattr(entity, guard.owed) if guard.owed else None
        if whom == SELF:
            return person == self.payer_id  # type: ignore[no-any-return]
        if whom == MINE:
            return or_(person == self.payer_id, actor == self.payer_id)
        if whom.member is not None:
            if self.has_consent(whom.member):
                return person == whom.member  # type: ignore[no-any-return]
            acted = actor == self.payer_id
            return and_(person == whom.member, acted if owed is None else or_(acted, owed))
        terms = [person == self.payer_id, actor == self.payer_id]
        if self.consented:
            terms.append(person.in_(sorted(self.consented)))
        owing = sorted(set(self.members.values()) - self.consented)
        if owed is not None and owing:
            terms.append(and_(person.in_(owing), owed))
        return or_(*terms)

    # whom a request is about ----------------------------------------------------------------------
    def member_person(self, family_id: uuid.UUID | str) -> uuid.UUID:
        """The person behind a live family row of this payer (`payer_id` of the API); else 404."""
        key = (
            family_id
            if isinstance(family_id, uuid.UUID)
            else parse_id(family_id, name="payer_id", label="缴费对象（家庭成员编号）")
        )
        found = self.members.get(key) if key is not None else None
        if found is None:
            raise NotFound("未找到该家庭成员")
        return found

    def whom(self, raw: uuid.UUID | str | None, *, default: Whom = SELF) -> Whom:
        """A 查询对象 choice: none → `default`, "all" → 全部, else a family member's row id."""
        if raw is None or raw == "":
            return default
        if raw == ALL_CHOICE:
            return EVERYTHING
        return Whom("member", self.member_person(raw))


def _family_of(
    session: Session, payer_id: uuid.UUID
) -> tuple[dict[uuid.UUID, uuid.UUID], frozenset[uuid.UUID]]:
    links = session.execute(
        select(FamilyMember.id, FamilyMember.member_id).where(
            FamilyMember.payer_id == payer_id, FamilyMember.removed_at.is_(None)
        )
    ).tuples()
    members = {row_id: member_id for row_id, member_id in links}
    consents = session.scalars(
        select(Consent.member_id).where(Consent.payer_id == payer_id, Consent.revoked_at.is_(None))
    )
    # A consent counts only while its giver is the payer's family member.
    return members, frozenset(c for c in consents if c in members.values())


def insured_for(session: Session, payer: Person, family_id: uuid.UUID | str | None) -> Person:
    """The insured person a request is about: the payer, or a live family member (`payer_id` of the API)."""
    key = (
        family_id
        if isinstance(family_id, uuid.UUID)
        else parse_id(family_id, name="payer_id", label="缴费对象（家庭成员编号）")
    )
    if key is None:
        return payer
    member = PersonRepository(session).get(Viewer.of(session, payer).member_person(key))
    if member is None:
        raise NotFound("未找到该家庭成员")
    return member
