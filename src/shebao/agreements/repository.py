"""Queries over agreements and their deductions."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.agreements.models import PENDING, REVOKED, Agreement, AgreementDeduction
from shebao.kit.pagination import PageRequest, desc, fetch_scalars


def live_key(account_index: str, tax_office_code: str) -> str:
    return f"{account_index}:{tax_office_code}"


class AgreementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, agreement_id: uuid.UUID, *, for_update: bool = False) -> Agreement | None:
        query = select(Agreement).where(Agreement.id == agreement_id)
        return self.session.scalars(query.with_for_update() if for_update else query).first()

    def of_payer(self, payer_id: uuid.UUID) -> list[Agreement]:
        query = (
            select(Agreement)
            .where(Agreement.payer_id == payer_id)
            .order_by(Agreement.signed_at.desc(), Agreement.id.desc())
        )
        return list(self.session.scalars(query))

    def page_of_payer(self, payer_id: uuid.UUID, page: PageRequest) -> tuple[list[Agreement], str | None]:
        """As `of_payer`, one page at a time, with the cursor of the next page."""
        query = select(Agreement).where(Agreement.payer_id == payer_id)
        return fetch_scalars(self.session, query, (desc(Agreement.signed_at), desc(Agreement.id)), page)

    def live(self, account_index: str, tax_office_code: str) -> Agreement | None:
        query = select(Agreement).where(Agreement.live_key == live_key(account_index, tax_office_code))
        return self.session.scalars(query).first()

    def due_to_take_effect(self, today: date, limit: int = 500) -> list[Agreement]:
        query = (
            select(Agreement)
            .where(Agreement.status == PENDING, Agreement.effective_from <= today)
            .order_by(Agreement.effective_from, Agreement.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))

    def revoked_unconfirmed(self, limit: int = 100) -> list[Agreement]:
        query = (
            select(Agreement)
            .where(Agreement.status == REVOKED, Agreement.bank_revoked_at.is_(None))
            .order_by(Agreement.revoked_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def deduction_of(self, payment_id: uuid.UUID) -> AgreementDeduction | None:
        query = select(AgreementDeduction).where(AgreementDeduction.payment_id == payment_id)
        return self.session.scalars(query).first()
