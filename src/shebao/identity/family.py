"""Family members (为他人缴费) and consents (授权)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.errors import NotFound, ValidationFailed
from shebao.identity import errors
from shebao.identity.models import Consent, FamilyMember, Person
from shebao.identity.providers import EnrolmentRegistry
from shebao.identity.ratelimit import FAMILY_ADDS_PER_PAYER_DAY, RateLimiter
from shebao.identity.repository import FamilyRepository
from shebao.identity.service import check_document
from shebao.kit.pagination import PageRequest
from shebao.kit.text import normalise_name
from shebao.runtime import Runtime

RELATIONS = {"spouse": "配偶", "parent": "父母", "child": "子女", "other": "其他"}


class FamilyService:
    def __init__(self, runtime: Runtime, session: Session, payer: Person, *, channel: str) -> None:
        self.runtime = runtime
        self.session = session
        self.payer = payer
        self.actor = Actor("payer", str(payer.id), channel)
        self.repository = FamilyRepository(session)
        self.now: datetime = runtime.clock.now()
        self.today: date = runtime.clock.today()

    def members(self) -> list[tuple[FamilyMember, Person]]:
        return self.members_page(None)[0]

    def members_page(self, page: PageRequest | None) -> tuple[list[tuple[FamilyMember, Person]], str | None]:
        """One page of family members (all of them without `page`) and the cursor of the next page."""
        rows, next_cursor = self.repository.members_of(self.payer.id, page)
        people = {p.id: p for p in (self.session.get(Person, r.member_id) for r in rows) if p is not None}
        return [(row, people[row.member_id]) for row in rows if row.member_id in people], next_cursor

    def add(self, name: str, id_type: str, id_number: str, relation: str) -> tuple[FamilyMember, Person]:
        if relation not in RELATIONS:
            raise ValidationFailed("请选择与本人的关系", fields={"relation": "取值不在允许范围内"})
        limiter = RateLimiter(self.session)
        payer_key = str(self.payer.id)
        if limiter.exceeded(FAMILY_ADDS_PER_PAYER_DAY, payer_key, self.now):
            raise errors.TooManyFailures("今日添加家庭成员次数过多，请明天再试")
        limiter.hit(FAMILY_ADDS_PER_PAYER_DAY, payer_key, self.now)
        document = check_document(id_type, id_number, self.today)
        member = EnrolmentRegistry().match(
            self.session, document.id_type, document.id_number, normalise_name(name)
        )
        if member is None:
            raise errors.NameMismatch().counted()
        if member.id == self.payer.id:
            raise errors.FamilySelf()
        if self.repository.live_link(self.payer.id, member.id) is not None:
            raise errors.FamilyExists()
        row = FamilyMember(
            payer_id=self.payer.id, member_id=member.id, relation=relation, created_at=self.now
        )
        self.session.add(row)
        self.session.flush()
        record(
            self.session,
            actor=self.actor,
            action="family.add",
            object_type="family_member",
            object_id=row.id,
            at=self.now,
            after={"member_id": str(member.id), "relation": relation},
        )
        return row, member

    def remove(self, family_id: uuid.UUID) -> None:
        """Ends the link; the row stays, so the history of what was paid for the member keeps its meaning."""
        row = self.repository.member(self.payer.id, family_id)
        if row is None:
            raise NotFound("未找到该家庭成员")
        row.removed_at = self.now
        record(
            self.session,
            actor=self.actor,
            action="family.remove",
            object_type="family_member",
            object_id=row.id,
            at=self.now,
            before={"member_id": str(row.member_id)},
        )


class ConsentService:
    """Run from the member's own login: the member lets a payer who added them see their records."""

    def __init__(self, runtime: Runtime, session: Session, member: Person, *, channel: str) -> None:
        self.session = session
        self.member = member
        self.actor = Actor("payer", str(member.id), channel)
        self.now = runtime.clock.now()

    def _link(self, family_id: uuid.UUID) -> FamilyMember:
        row = self.session.get(FamilyMember, family_id)
        if row is None or row.member_id != self.member.id or row.removed_at is not None:
            raise NotFound("未找到该授权对象")
        return row

    def grant(self, family_id: uuid.UUID) -> Consent:
        link = self._link(family_id)
        repository = FamilyRepository(self.session)
        consent = repository.consent(self.member.id, link.payer_id)
        if consent is None:
            existing = repository.consent_row(self.member.id, link.payer_id)
            consent = existing or Consent(
                member_id=self.member.id, payer_id=link.payer_id, granted_at=self.now
            )
            consent.granted_at, consent.revoked_at = self.now, None
            self.session.add(consent)
            self.session.flush()
            record(
                self.session,
                actor=self.actor,
                action="consent.grant",
                object_type="consent",
                object_id=consent.id,
                at=self.now,
                after={"payer_id": str(link.payer_id)},
            )
        return consent

    def revoke(self, family_id: uuid.UUID) -> None:
        link = self._link(family_id)
        consent = FamilyRepository(self.session).consent(self.member.id, link.payer_id)
        if consent is not None:
            consent.revoked_at = self.now
            record(
                self.session,
                actor=self.actor,
                action="consent.revoke",
                object_type="consent",
                object_id=consent.id,
                at=self.now,
                before={"payer_id": str(link.payer_id)},
            )

    def granted_by_me(
        self, page: PageRequest | None = None
    ) -> tuple[list[tuple[FamilyMember, Person, bool]], str | None]:
        """Who added me as a family member, and whether I let them see my records (and the next page)."""
        repository = FamilyRepository(self.session)
        links, next_cursor = repository.links_to(self.member.id, page)
        result = []
        for link in links:
            payer = self.session.get(Person, link.payer_id)
            if payer is not None:
                result.append((link, payer, repository.consent(self.member.id, payer.id) is not None))
        return result, next_cursor
