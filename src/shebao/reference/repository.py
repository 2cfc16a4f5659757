from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.reference.models import Agency, Bank, BankBranch, Region, TaxOffice


class ReferenceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def regions(self) -> Sequence[Region]:
        return self.session.scalars(select(Region).order_by(Region.code)).all()

    def tax_offices(self, region_code: str | None = None) -> Sequence[TaxOffice]:
        query = select(TaxOffice).order_by(TaxOffice.code)
        if region_code:
            query = query.where(TaxOffice.region_code == region_code)
        return self.session.scalars(query).all()

    def agencies(self) -> Sequence[Agency]:
        return self.session.scalars(select(Agency).order_by(Agency.code)).all()

    def banks(self) -> Sequence[Bank]:
        return self.session.scalars(select(Bank).order_by(Bank.code)).all()

    def branches(self, bank_code: str | None, region_code: str | None) -> Sequence[BankBranch]:
        query = select(BankBranch).order_by(BankBranch.code)
        if bank_code:
            query = query.where(BankBranch.bank_code == bank_code)
        if region_code:
            query = query.where(BankBranch.region_code == region_code)
        return self.session.scalars(query).all()

    def tax_office(self, code: str) -> TaxOffice | None:
        return self.session.get(TaxOffice, code)

    def agency(self, code: str) -> Agency | None:
        return self.session.get(Agency, code)
