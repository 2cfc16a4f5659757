"""新增协议: what the payer fills in, checked before anything is asked of the bank or stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shebao.agreements import errors
from shebao.agreements.accounts import account_index, check_account
from shebao.enrolment.terms import SCHEMES
from shebao.errors import ValidationFailed
from shebao.identity.models import Person
from shebao.reference.catalog import load_catalog


@dataclass(frozen=True)
class AgreementForm:
    tax_office_code: str
    agency_code: str
    bank_code: str
    bank_region_code: str
    branch_code: str
    holder_name: str
    account_no: str
    withhold: bool = False
    withhold_schemes: Sequence[str] = ()


@dataclass(frozen=True)
class CheckedForm:
    tax_office_code: str
    agency_code: str
    bank_code: str
    bank_region_code: str
    branch_code: str
    holder_name: str
    account_no: str  # digits only
    account_index: str
    withhold: bool
    withhold_schemes: list[str]


def _missing(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: message})


def check_form(form: AgreementForm, payer: Person) -> CheckedForm:
    """Validate (raises a 4xx naming the field); nothing is stored by a refused form."""
    catalog = load_catalog()
    if catalog.tax_office(form.tax_office_code) is None:
        raise _missing("tax_office_code", "请选择税务机关")
    if catalog.agency(form.agency_code) is None:
        raise _missing("agency_code", "请选择社保经办机构")
    bank = catalog.bank(form.bank_code)
    if bank is None:
        raise _missing("bank_code", "请选择开户银行")
    region = catalog.region(form.bank_region_code)
    if region is None or region.kind != "district":
        raise _missing("bank_region_code", "请选择银行行政区划")
    branch = catalog.branch(form.branch_code)
    if branch is None:
        raise _missing("branch_code", "请选择银行网点")
    if (branch.bank_code, branch.region_code) != (bank.code, region.code):
        raise _missing("branch_code", "所选银行网点不属于该开户银行或行政区划，请重新选择")
    holder = form.holder_name.strip()
    if not holder:
        raise _missing("holder_name", "请输入持卡人姓名")
    if holder != payer.name.strip():
        raise errors.HolderMismatch(fields={"holder_name": "须为缴费人本人"})
    account_no = check_account(catalog, bank, form.account_no)
    schemes = list(dict.fromkeys(form.withhold_schemes)) if form.withhold else []
    if any(s not in SCHEMES for s in schemes):
        raise _missing("withhold_schemes", "代扣险种不在可选范围内")
    if form.withhold and not schemes:
        raise _missing("withhold_schemes", "选择银行代扣时，请选择代扣险种")
    return CheckedForm(
        tax_office_code=form.tax_office_code,
        agency_code=form.agency_code,
        bank_code=bank.code,
        bank_region_code=region.code,
        branch_code=branch.code,
        holder_name=holder,
        account_no=account_no,
        account_index=account_index(bank.code, account_no),
        withhold=form.withhold,
        withhold_schemes=sorted(schemes, key=SCHEMES.index),
    )
