"""Declaration views for the API and the pages: personal data masked, offices by name."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from shebao.declarations import schemas
from shebao.declarations.models import Declaration
from shebao.enrolment.terms import scheme_label
from shebao.identity.models import Person
from shebao.payables.schemas import Insured, Office
from shebao.reference.models import Agency, TaxOffice

SHANGHAI = ZoneInfo("Asia/Shanghai")


def declaration(session: Session, found: Declaration) -> schemas.Declaration:
    person = session.get(Person, found.person_id)
    office = session.get(TaxOffice, found.tax_office_code)
    agency = session.get(Agency, found.agency_code)
    assert person is not None and office is not None and agency is not None
    return schemas.Declaration(
        id=str(found.id),
        status=found.status,
        status_label=found.status_label,
        payment_status=found.payment_status,
        kind=found.kind,
        kind_label=found.kind_label,
        scheme=found.scheme,
        scheme_label=scheme_label(found.scheme),
        channel=found.channel,
        insured=Insured(name=person.masked_name, id_type=person.id_type, id_number=person.masked_id_number),
        declared_for_other=found.declared_by_id != found.person_id,
        tax_office=Office(code=office.code, name=office.full_name),
        agency=Office(code=agency.code, name=agency.name),
        period_start=found.period_start,
        period_end=found.period_end,
        total_fen=found.total_fen,
        late_fee_fen=found.late_fee_fen,
        deadline=found.deadline,
        declared_at=found.declared_at.astimezone(SHANGHAI),
        voided_at=found.voided_at.astimezone(SHANGHAI) if found.voided_at else None,
        paid_at=found.paid_at.astimezone(SHANGHAI) if found.paid_at else None,
        failure_reason=found.failure_reason,
        items=[
            schemas.DeclarationItem(
                payable_id=str(item.payable_id),
                levy_item=item.levy_item,
                insurance_type=item.insurance_type,
                period_start=item.period_start,
                period_end=item.period_end,
                base_amount_fen=item.base_amount_fen,
                late_fee_fen=item.late_fee_fen,
                amount_fen=item.amount_fen,
            )
            for item in found.items
        ],
    )
