"""Payables as the API shows them: labels, offices by name, masked insured person, amounts today."""

from __future__ import annotations

from typing import cast

from shebao.enrolment.terms import INSURANCE_TYPE_LABELS, scheme_label
from shebao.identity.documents import ID_TYPE_LABELS, IdType
from shebao.identity.models import Person
from shebao.payables import schemas
from shebao.payables.models import STATUS_LABELS, Payable
from shebao.payables.service import Amounts, Listing


def insured(person: Person) -> schemas.Insured:
    return schemas.Insured(
        name=person.masked_name,
        id_type=ID_TYPE_LABELS.get(IdType(person.id_type), person.id_type),
        id_number=person.masked_id_number,
    )


def payable(item: Payable, amounts: Amounts, listing: Listing, whose: schemas.Insured) -> schemas.Payable:
    office = listing.tax_offices.get(item.tax_office_code)
    agency = listing.agencies.get(item.agency_code)
    return schemas.Payable(
        id=str(item.id),
        scheme=cast(schemas.Scheme, item.scheme),
        scheme_label=scheme_label(item.scheme),
        insurance_type=item.insurance_type,
        insurance_type_label=INSURANCE_TYPE_LABELS.get(item.insurance_type or ""),
        levy_item=item.levy_item,
        period_start=item.period_start,
        period_end=item.period_end,
        base_amount_fen=amounts.base_amount_fen,
        late_fee_fen=amounts.late_fee_fen,
        amount_fen=amounts.amount_fen,
        due_date=item.due_date,
        overdue=listing.today > item.due_date,
        status=cast(schemas.PayableStatus, item.status),
        status_label=STATUS_LABELS.get(item.status, item.status),
        tax_office=schemas.Office(
            code=item.tax_office_code, name=office.full_name if office else item.tax_office_code
        ),
        agency=schemas.Office(code=item.agency_code, name=agency.name if agency else item.agency_code),
        insured=whose,
        declaration_id=str(item.declaration_id) if item.declaration_id else None,
    )


def payable_list(listing: Listing, person: Person) -> schemas.PayableList:
    whose = insured(person)
    items = [payable(item, amounts, listing, whose) for item, amounts in listing.items]
    return schemas.PayableList(
        items=items,
        to_declare_total_fen=listing.to_declare_total_fen,
        as_of=listing.today,
        next_cursor=listing.next_cursor,
    )
