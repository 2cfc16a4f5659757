"""The reference catalog: read the packaged JSON once, check it hangs together, answer lookups.

Pure: no database, no settings. `shebao db upgrade` and the reference endpoints both start from
`load_catalog()`, so a broken data file fails loudly at start-up instead of surfacing as a 404 later.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

RegionKind = Literal["district", "management_area"]
TaxOfficeLevel = Literal["bureau", "office"]


@dataclass(frozen=True)
class Region:
    code: str  # GB/T 2260 for districts; a non-6-digit internal code for management areas
    name: str
    kind: RegionKind
    parent_code: str | None
    official: bool
    note: str | None = None


@dataclass(frozen=True)
class TaxOffice:
    code: str
    name: str  # short name: the bureau's full name, or e.g. 什刹海税务所
    full_name: str  # what pages show: 国家税务总局北京市西城区税务局 什刹海税务所
    parent_code: str | None  # a 税务所's 税务局; None for a bureau
    region_code: str
    level: TaxOfficeLevel
    sample: bool


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    region_code: str
    sample: bool


@dataclass(frozen=True)
class Bank:
    code: str
    cnaps_class: str  # 3-digit CNAPS 行别代码; every branch 行号 starts with it
    name: str
    short_name: str
    account_lengths: tuple[int, ...]
    luhn: bool
    card_bins: tuple[str, ...]
    sample: bool  # True when the card data (lengths, BINs) is not verified


@dataclass(frozen=True)
class BankBranch:
    code: str  # 12-digit CNAPS-style 行号
    name: str
    bank_code: str
    region_code: str
    sample: bool


@dataclass(frozen=True)
class Catalog:
    regions: tuple[Region, ...]
    tax_offices: tuple[TaxOffice, ...]
    agencies: tuple[Agency, ...]
    banks: tuple[Bank, ...]
    branches: tuple[BankBranch, ...]
    _regions: dict[str, Region] = field(init=False, repr=False, compare=False)
    _tax_offices: dict[str, TaxOffice] = field(init=False, repr=False, compare=False)
    _agencies: dict[str, Agency] = field(init=False, repr=False, compare=False)
    _banks: dict[str, Bank] = field(init=False, repr=False, compare=False)
    _branches: dict[str, BankBranch] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A Catalog that exists is a valid one: every lookup below may rely on the references resolving.
        validate(self.regions, self.tax_offices, self.agencies, self.banks, self.branches)
        object.__setattr__(self, "_regions", {x.code: x for x in self.regions})
        object.__setattr__(self, "_tax_offices", {x.code: x for x in self.tax_offices})
        object.__setattr__(self, "_agencies", {x.code: x for x in self.agencies})
        object.__setattr__(self, "_banks", {x.code: x for x in self.banks})
        object.__setattr__(self, "_branches", {x.code: x for x in self.branches})

    def region(self, code: str) -> Region | None:
        return self._regions.get(code)

    def tax_office(self, code: str) -> TaxOffice | None:
        return self._tax_offices.get(code)

    def agency(self, code: str) -> Agency | None:
        return self._agencies.get(code)

    def bank(self, code: str) -> Bank | None:
        return self._banks.get(code)

    def branch(self, code: str) -> BankBranch | None:
        return self._branches.get(code)

    def offices_under(self, bureau_code: str) -> tuple[TaxOffice, ...]:
        return tuple(o for o in self.tax_offices if o.parent_code == bureau_code)

    def branches_for(self, bank_code: str, region_code: str) -> tuple[BankBranch, ...]:
        return tuple(b for b in self.branches if b.bank_code == bank_code and b.region_code == region_code)


# --- validation ---------------------------------------------------------------------------------


def _unique(kind: str, codes: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"{kind}: duplicate code {code!r}")
        seen.add(code)
    return seen


def _is_digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def _check_regions(regions: tuple[Region, ...]) -> None:
    _unique("regions", (r.code for r in regions))
    districts = {r.code for r in regions if r.kind == "district"}
    for r in regions:
        if r.kind == "district":
            if not _is_digits(r.code, 6) or r.parent_code is not None:
                raise ValueError(f"region {r.code!r}: a district has a 6-digit GB/T 2260 code and no parent")
        elif r.kind == "management_area":
            # Must never be mistaken for (or collide with) a GB/T 2260 code.
            if _is_digits(r.code, 6):
                raise ValueError(f"region {r.code!r}: a management area's code must not be 6 digits")
            if r.parent_code not in districts:
                raise ValueError(f"region {r.code!r}: parent_code {r.parent_code!r} is not a district")
        else:
            raise ValueError(f"region {r.code!r}: unknown kind {r.kind!r}")


def _check_tax_offices(tax_offices: tuple[TaxOffice, ...], region_codes: set[str]) -> None:
    # One namespace for bureaus and offices: an agreement or enrolment names either by code alone.
    _unique("tax_offices", (t.code for t in tax_offices))
    bureaus = {t.code: t for t in tax_offices if t.level == "bureau"}
    for t in tax_offices:
        if not _is_digits(t.code, 11):
            raise ValueError(f"tax office {t.code!r}: code must be 11 digits")
        if t.region_code not in region_codes:
            raise ValueError(f"tax office {t.code!r}: unknown region_code {t.region_code!r}")
        if t.level == "bureau":
            if t.parent_code is not None or t.full_name != t.name:
                raise ValueError(f"tax office {t.code!r}: a bureau has no parent and full_name == name")
        elif t.level == "office":
            bureau = bureaus.get(t.parent_code or "")
            if bureau is None:
                raise ValueError(f"tax office {t.code!r}: parent_code {t.parent_code!r} is not a bureau")
            if bureau.region_code != t.region_code:
                raise ValueError(f"tax office {t.code!r}: region differs from its bureau's")
            if t.full_name != f"{bureau.name} {t.name}":
                raise ValueError(f"tax office {t.code!r}: full_name must be '{bureau.name} {t.name}'")
        else:
            raise ValueError(f"tax office {t.code!r}: unknown level {t.level!r}")
    missing = region_codes - {b.region_code for b in bureaus.values()}
    if missing:
        raise ValueError(f"tax_offices: no bureau for regions {sorted(missing)}")


def _check_banks(banks: tuple[Bank, ...]) -> None:
    _unique("banks", (b.code for b in banks))
    for b in banks:
        if not _is_digits(b.cnaps_class, 3):
            raise ValueError(f"bank {b.code!r}: cnaps_class must be 3 digits")
        if not b.account_lengths or any(n <= 0 for n in b.account_lengths):
            raise ValueError(f"bank {b.code!r}: account_lengths must be positive and not empty")
        if any(not (bin_.isascii() and bin_.isdigit()) for bin_ in b.card_bins):
            raise ValueError(f"bank {b.code!r}: card_bins must be digit strings")


def _check_branches(
    branches: tuple[BankBranch, ...], banks: tuple[Bank, ...], region_codes: set[str]
) -> None:
    _unique("bank_branches", (b.code for b in branches))
    by_code = {b.code: b for b in banks}
    for br in branches:
        bank = by_code.get(br.bank_code)
        if bank is None:
            raise ValueError(f"bank branch {br.code!r}: unknown bank_code {br.bank_code!r}")
        if br.region_code not in region_codes:
            raise ValueError(f"bank branch {br.code!r}: unknown region_code {br.region_code!r}")
        if not _is_digits(br.code, 12) or not br.code.startswith(bank.cnaps_class):
            raise ValueError(f"bank branch {br.code!r}: must be 12 digits starting with {bank.cnaps_class}")
    # API promise: every major bank has at least one branch in every Beijing region.
    covered = {(br.bank_code, br.region_code) for br in branches}
    gaps = sorted((b.code, r) for b in banks for r in region_codes if (b.code, r) not in covered)
    if gaps:
        raise ValueError(f"bank_branches: no branch for (bank, region) {gaps}")


def validate(
    regions: tuple[Region, ...],
    tax_offices: tuple[TaxOffice, ...],
    agencies: tuple[Agency, ...],
    banks: tuple[Bank, ...],
    branches: tuple[BankBranch, ...],
) -> None:
    """Raise ValueError naming the first problem: a duplicate or malformed code, a dangling reference."""
    _check_regions(regions)
    region_codes = {r.code for r in regions}
    _check_tax_offices(tax_offices, region_codes)
    _unique("agencies", (a.code for a in agencies))
    for a in agencies:
        if a.region_code not in region_codes:
            raise ValueError(f"agency {a.code!r}: unknown region_code {a.region_code!r}")
    _check_banks(banks)
    _check_branches(branches, banks, region_codes)


# --- loading ------------------------------------------------------------------------------------


def _field(row: Mapping[str, Any], key: str, kind: type, *, optional: bool = False) -> Any:
    # A clear message beats a TypeError deep in a lookup when someone hand-edits a data file.
    value = row.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{row.get('code')!r}: field {key!r} must be {kind.__name__}, got {value!r}")
    return value


def _rows(name: str) -> list[Mapping[str, Any]]:
    raw = (files("shebao.reference") / "data" / f"{name}.json").read_text(encoding="utf-8")
    rows = json.loads(raw)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"{name}.json: expected a list of objects")
    return rows


def _region(r: Mapping[str, Any]) -> Region:
    return Region(
        code=_field(r, "code", str),
        name=_field(r, "name", str),
        kind=_field(r, "kind", str),
        parent_code=_field(r, "parent_code", str, optional=True),
        official=_field(r, "official", bool),
        note=_field(r, "note", str, optional=True),
    )


def _tax_office(r: Mapping[str, Any]) -> TaxOffice:
    return TaxOffice(
        code=_field(r, "code", str),
        name=_field(r, "name", str),
        full_name=_field(r, "full_name", str),
        parent_code=_field(r, "parent_code", str, optional=True),
        region_code=_field(r, "region_code", str),
        level=_field(r, "level", str),
        sample=_field(r, "sample", bool),
    )


def _agency(r: Mapping[str, Any]) -> Agency:
    return Agency(
        code=_field(r, "code", str),
        name=_field(r, "name", str),
        region_code=_field(r, "region_code", str),
        sample=_field(r, "sample", bool),
    )


def _bank(r: Mapping[str, Any]) -> Bank:
    lengths = _field(r, "account_lengths", list)
    bins = _field(r, "card_bins", list)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in lengths):
        raise ValueError(f"{r.get('code')!r}: account_lengths must be integers")
    if not all(isinstance(b, str) for b in bins):
        raise ValueError(f"{r.get('code')!r}: card_bins must be strings")
    return Bank(
        code=_field(r, "code", str),
        cnaps_class=_field(r, "cnaps_class", str),
        name=_field(r, "name", str),
        short_name=_field(r, "short_name", str),
        account_lengths=tuple(lengths),
        luhn=_field(r, "luhn", bool),
        card_bins=tuple(bins),
        sample=_field(r, "sample", bool),
    )


def _branch(r: Mapping[str, Any]) -> BankBranch:
    return BankBranch(
        code=_field(r, "code", str),
        name=_field(r, "name", str),
        bank_code=_field(r, "bank_code", str),
        region_code=_field(r, "region_code", str),
        sample=_field(r, "sample", bool),
    )


@cache
def load_catalog() -> Catalog:
    """The packaged catalog, parsed and validated once per process."""
    return Catalog(
        regions=tuple(_region(r) for r in _rows("regions")),
        tax_offices=tuple(_tax_office(r) for r in _rows("tax_offices")),
        agencies=tuple(_agency(r) for r in _rows("agencies")),
        banks=tuple(_bank(r) for r in _rows("banks")),
        branches=tuple(_branch(r) for r in _rows("bank_branches")),
    )
