from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Item(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Region(_Item):
    code: str
    name: str
    kind: str
    parent_code: str | None
    official: bool


class TaxOffice(_Item):
    code: str
    name: str
    full_name: str
    parent_code: str | None
    region_code: str
    level: str
    sample: bool


class Agency(_Item):
    code: str
    name: str
    region_code: str
    sample: bool


class Bank(_Item):
    code: str
    name: str
    short_name: str
    sample: bool


class BankBranch(_Item):
    code: str
    name: str
    bank_code: str
    region_code: str
    sample: bool


class RegionList(BaseModel):
    items: list[Region]


class TaxOfficeList(BaseModel):
    items: list[TaxOffice]


class AgencyList(BaseModel):
    items: list[Agency]


class BankList(BaseModel):
    items: list[Bank]


class BankBranchList(BaseModel):
    items: list[BankBranch]
