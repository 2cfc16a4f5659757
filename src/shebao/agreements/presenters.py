"""Agreements as the API and the pages show them: names from the reference catalog, numbers masked."""

from __future__ import annotations

from datetime import date
from typing import Any

from shebao.agreements import schemas
from shebao.agreements.models import STATUS_LABELS, STATUS_TAGS, Agreement
from shebao.agreements.rules import status_on, unusable_reason
from shebao.enrolment.terms import scheme_label
from shebao.kit.clock import to_shanghai
from shebao.reference.catalog import load_catalog


def _names(agreement: Agreement) -> dict[str, str]:
    catalog = load_catalog()
    office, agency = catalog.tax_office(agreement.tax_office_code), catalog.agency(agreement.agency_code)
    bank, branch = catalog.bank(agreement.bank_code), catalog.branch(agreement.branch_code)
    return {
        "tax_office_name": office.full_name if office else agreement.tax_office_code,
        "agency_name": agency.name if agency else agreement.agency_code,
        "bank_name": bank.name if bank else agreement.bank_code,
        "branch_name": branch.name if branch else agreement.branch_code,
    }


def agreement(found: Agreement, today: date, *, tax_office_code: str | None = None) -> schemas.Agreement:
    status = status_on(found, today)
    reason = unusable_reason(found, tax_office_code, today) if tax_office_code else None
    return schemas.Agreement(
        id=str(found.id),
        agreement_no=found.agreement_no,
        status=status,
        status_label=STATUS_LABELS[status],
        payer_name=found.masked_holder,
        tax_office_code=found.tax_office_code,
        agency_code=found.agency_code,
        bank_code=found.bank_code,
        bank_region_code=found.bank_region_code,
        branch_code=found.branch_code,
        account_no=found.masked_account,
        withhold=found.withhold,
        withhold_schemes=list(found.withhold_schemes),
        withhold_scheme_labels=[scheme_label(s) for s in found.withhold_schemes],
        effective_from=found.effective_from,
        failure_reason=found.failure_reason,
        signed_at=to_shanghai(found.signed_at),
        revoked_at=to_shanghai(found.revoked_at) if found.revoked_at else None,
        usable=(reason is None) if tax_office_code else None,
        unusable_reason=reason,
        **_names(found),
    )


def card(found: Agreement, today: date) -> dict[str, Any]:
    """One card of the 缴费协议 list (and of the 签订成功 page)."""
    status = status_on(found, today)
    return {
        "a": found,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "tag": STATUS_TAGS[status],
        "withhold_label": "是" if found.withhold else "否",
        "schemes_label": "、".join(scheme_label(s) for s in found.withhold_schemes) or "-",
        "revocable": status in ("pending", "active"),
        **_names(found),
    }


def choice(found: Agreement, tax_office_code: str, today: date) -> dict[str, Any]:
    """An agreement on 选择支付方式: usable, or greyed with the reason."""
    names = _names(found)
    return {
        "id": str(found.id),
        "label": f"{names['bank_name']} {found.masked_account}",
        "office": names["tax_office_name"],
        "reason": unusable_reason(found, tax_office_code, today),
    }
