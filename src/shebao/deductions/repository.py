"""Queries over contribution settings."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from shebao.deductions.models import ACTIVE, ContributionSetting
from shebao.identity.models import Person
from shebao.kit.pagination import PageRequest, desc, fetch_scalars


class SettingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, setting_id: uuid.UUID, *, for_update: bool = False) -> ContributionSetting | None:
        query = select(ContributionSetting).where(ContributionSetting.id == setting_id)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def lock_person(self, person_id: uuid.UUID) -> None:
        """Serialise the settings of one insured person (PostgreSQL; on SQLite the write lock does)."""
        self.session.execute(select(Person.id).where(Person.id == person_id).with_for_update())

    def overlapping(
        self, person_id: uuid.UUID, scheme: str, valid_from: int, valid_to: int
    ) -> ContributionSetting | None:
        query = select(ContributionSetting).where(
            ContributionSetting.person_id == person_id,
            ContributionSetting.scheme == scheme,
            ContributionSetting.status == ACTIVE,
            ContributionSetting.valid_from <= valid_to,
            ContributionSetting.valid_to >= valid_from,
        )
        return self.session.scalars(query.limit(1)).first()

    def visible(
        self,
        payer_id: uuid.UUID,
        *,
        person_id: uuid.UUID | None = None,
        scheme: str | None = None,
        status: str | None = None,
        page: PageRequest | None = None,
    ) -> tuple[list[ContributionSetting], str | None]:
        """The settings a payer sees: those they made and those for them; narrowed to one insured person.
        Newest first, with the cursor of the next page (all of them, and no cursor, without `page`)."""
        terms: list[ColumnElement[bool]] = [
            or_(ContributionSetting.payer_id == payer_id, ContributionSetting.person_id == payer_id)
        ]
        if person_id is not None:
            terms.append(ContributionSetting.person_id == person_id)
        if scheme is not None:
            terms.append(ContributionSetting.scheme == scheme)
        if status is not None:
            terms.append(ContributionSetting.status == status)
        order = (desc(ContributionSetting.created_at), desc(ContributionSetting.id))
        return fetch_scalars(self.session, select(ContributionSetting).where(*terms), order, page)
