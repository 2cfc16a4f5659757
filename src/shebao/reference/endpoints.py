"""`/api/v1/reference/*`: public reference data (no login needed: the forms need it before login too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from shebao.deps import DbSession
from shebao.reference import schemas
from shebao.reference.repository import ReferenceRepository

router = APIRouter(prefix="/api/v1/reference", tags=["reference"])

Code = Annotated[str | None, Query(max_length=16, pattern=r"^[0-9A-Za-z-]*$")]


@router.get("/regions", response_model=schemas.RegionList, summary="北京市行政区划（GB/T 2260）")
def regions(session: DbSession) -> schemas.RegionList:
    items = ReferenceRepository(session).regions()
    return schemas.RegionList(items=[schemas.Region.model_validate(r) for r in items])


@router.get("/tax-offices", response_model=schemas.TaxOfficeList, summary="主管税务机关（税务局与税务所）")
def tax_offices(session: DbSession, region_code: Code = None) -> schemas.TaxOfficeList:
    items = ReferenceRepository(session).tax_offices(region_code)
    return schemas.TaxOfficeList(items=[schemas.TaxOffice.model_validate(t) for t in items])


@router.get("/agencies", response_model=schemas.AgencyList, summary="社保经办机构")
def agencies(session: DbSession) -> schemas.AgencyList:
    items = ReferenceRepository(session).agencies()
    return schemas.AgencyList(items=[schemas.Agency.model_validate(a) for a in items])


@router.get("/banks", response_model=schemas.BankList, summary="开户银行")
def banks(session: DbSession) -> schemas.BankList:
    items = ReferenceRepository(session).banks()
    return schemas.BankList(items=[schemas.Bank.model_validate(b) for b in items])


@router.get("/bank-branches", response_model=schemas.BankBranchList, summary="银行网点")
def bank_branches(
    session: DbSession, bank_code: Code = None, region_code: Code = None
) -> schemas.BankBranchList:
    items = ReferenceRepository(session).branches(bank_code, region_code)
    return schemas.BankBranchList(items=[schemas.BankBranch.model_validate(b) for b in items])


def include(app: FastAPI) -> None:
    app.include_router(router)
