"""Queries over persons, sessions, verifications, SMS codes, family members and consents."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.identity.documents import Document
from shebao.identity.models import Consent, FamilyMember, Person
from shebao.kit.crypto import blind_index
from shebao.kit.pagination import PageRequest, asc, fetch_scalars


def document_index(id_type: str, id_number: str) -> str:
    return blind_index(f"{id_type}:{id_number}", kind="document")


def phone_index(phone: str) -> str:
    return blind_index(phone, kind="phone")


def taxpayer_index(taxpayer_id: str) -> str:
    return blind_index(taxpayer_id, kind="taxpayer")


class PersonRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, person_id: uuid.UUID) -> Person | None:
        return self.session.get(Person, person_id)

    def by_document(self, id_type: str, id_number: str) -> Person | None:
        query = select(Person).where(Person.document_index == document_index(id_type, id_number))
        return self.session.scalars(query).first()

    def upsert(
        self, document: Document, name: str, phone: str | None, *, now: datetime
    ) -> tuple[Person, bool]:
        """Create the person of `document`, or update name and phone; answers (person, changed)."""
        person = self.by_document(document.id_type, document.id_number)
        if person is None:
            person = Person(
                id_type=document.id_type.value,
                id_number=document.id_number,
                document_index=document_index(document.id_type, document.id_number),
                name=name,
                taxpayer_id=document.taxpayer_id,
                taxpayer_index=taxpayer_index(document.taxpayer_id),
                birth_date=document.birth_date,
                phone=phone,
                phone_index=phone_index(phone) if phone else None,
                created_at=now,
                updated_at=now,
            )
            self.session.add(person)
            self.session.flush()
            return person, True
        changed = False
        if person.name != name:
            person.name, changed = name, True
        if phone and person.phone != phone:
            person.phone, person.phone_index, changed = phone, phone_index(phone), True
        if changed:
            person.updated_at = now
        return person, changed


class FamilyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def members_of(
        self, payer_id: uuid.UUID, page: PageRequest | None = None
    ) -> tuple[list[FamilyMember], str | None]:
        """A payer's live family members, first added first, and the cursor of the next page."""
        query = select(FamilyMember).where(
            FamilyMember.payer_id == payer_id, FamilyMember.removed_at.is_(None)
        )
        return fetch_scalars(self.session, query, (asc(FamilyMember.created_at), asc(FamilyMember.id)), page)

    def member(self, payer_id: uuid.UUID, family_id: uuid.UUID) -> FamilyMember | None:
        """A live family member of this payer, by the member row's id (the `payer_id` of the API)."""
        row = self.session.get(FamilyMember, family_id)
        if row is None or row.payer_id != payer_id or row.removed_at is not None:
            return None
        return row

    def live_link(self, payer_id: uuid.UUID, member_id: uuid.UUID) -> FamilyMember | None:
        query = select(FamilyMember).where(
            FamilyMember.payer_id == payer_id,
            FamilyMember.member_id == member_id,
            FamilyMember.removed_at.is_(None),
        )
        return self.session.scalars(query).first()

    def links_to(
        self, member_id: uuid.UUID, page: PageRequest | None = None
    ) -> tuple[list[FamilyMember], str | None]:
        """The live links in which `member_id` is somebody's family member, and the next page's cursor."""
        query = select(FamilyMember).where(
            FamilyMember.member_id == member_id, FamilyMember.removed_at.is_(None)
        )
        return fetch_scalars(self.session, query, (asc(FamilyMember.created_at), asc(FamilyMember.id)), page)

    def consent_row(self, member_id: uuid.UUID, payer_id: uuid.UUID) -> Consent | None:
        """The consent row, live or revoked (one per pair)."""
        query = select(Consent).where(Consent.member_id == member_id, Consent.payer_id == payer_id)
        return self.session.scalars(query).first()

    def consent(self, member_id: uuid.UUID, payer_id: uuid.UUID) -> Consent | None:
        query = select(Consent).where(
            Consent.member_id == member_id, Consent.payer_id == payer_id, Consent.revoked_at.is_(None)
        )
        return self.session.scalars(query).first()
