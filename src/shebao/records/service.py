"""The records as the API and pages show them, as far as the payer may see them (identity/access.py)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.enrolment.terms import SCHEMES, scheme_label
from shebao.errors import Inconsistent, ValidationFailed
from shebao.identity.access import Viewer, Whom
from shebao.identity.models import Person
from shebao.identity.presenters import id_type_label
from shebao.kit.clock import to_shanghai
from shebao.kit.pagination import PageRequest
from shebao.payables.schemas import Insured, Office
from shebao.payments.models import CHANNEL_LABELS, Payment
from shebao.records import schemas
from shebao.records.repository import RecordFilter, RecordRepository
from shebao.reference.models import TaxOffice

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_filter(scheme: str | None, period_from: str | None, period_to: str | None) -> RecordFilter:
    fields: dict[str, str] = {}
    if scheme and scheme not in SCHEMES:
        fields["scheme"] = "险种应为 " + "、".join(SCHEMES) + " 之一"
    for name, label, value in (
        ("period_from", "费款所属期起", period_from),
        ("period_to", "费款所属期止", period_to),
    ):
        if value and not _PERIOD.match(value):
            fields[name] = f"{label}请按年-月填写，如 2025-01"
    if fields:
        raise ValidationFailed("；".join(fields.values()), fields=fields)
    if period_from and period_to and period_from > period_to:
        message = "费款所属期起不能晚于费款所属期止，请重新选择"
        raise ValidationFailed(message, fields={"period_from": message})
    return RecordFilter(scheme=scheme or None, period_from=period_from or None, period_to=period_to or None)


def payment_records(
    session: Session, viewer: Viewer, whom: Whom, where: RecordFilter, page: PageRequest | None = None
) -> tuple[list[schemas.PaymentRecord], str | None]:
    """One page of records (all of them without `page`) and the cursor of the next page."""
    rows, next_cursor = RecordRepository(session).records(viewer.where(Payment, whom), where, page)
    people_ids = {p.person_id for p, _ in rows} | {p.payer_id for p, _ in rows}
    people = (
        {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(people_ids)))} if rows else {}
    )
    codes = sorted({d.tax_office_code for _, d in rows})
    offices = (
        {o.code: o for o in session.scalars(select(TaxOffice).where(TaxOffice.code.in_(codes)))}
        if rows
        else {}
    )
    records = []
    for payment, declaration in rows:
        insured, payer, office = (
            people[payment.person_id],
            people[payment.payer_id],
            offices[declaration.tax_office_code],
        )
        if payment.succeeded_at is None:  # the query picks succeeded payments
            raise Inconsistent("缴费记录缺少缴款成功时间")
        records.append(
            schemas.PaymentRecord(
                id=str(payment.id),
                declaration_id=str(declaration.id),
                scheme=declaration.scheme,
                scheme_label=scheme_label(declaration.scheme),
                period_start=declaration.period_start,
                period_end=declaration.period_end,
                amount_fen=payment.amount_fen,
                paid_at=to_shanghai(payment.succeeded_at),
                eticket_no=payment.eticket_no,
                channel=payment.channel,
                channel_label=CHANNEL_LABELS.get(payment.channel, payment.channel),
                method=payment.method,
                method_label=payment.method_label,
                tax_office=Office(code=office.code, name=office.full_name),
                insured=Insured(
                    name=insured.masked_name,
                    id_type=id_type_label(insured.id_type),
                    id_number=insured.masked_id_number,
                ),
                paid_by=payer.masked_name,
                for_other=payment.payer_id != payment.person_id,
                duplicate=payment.duplicate,
                refund_status=payment.refund_status,
                items=[
                    schemas.RecordItem(
                        levy_item=i.levy_item,
                        period_start=i.period_start,
                        period_end=i.period_end,
                        amount_fen=i.amount_fen,
                        late_fee_fen=i.late_fee_fen,
                    )
                    for i in declaration.items
                ],
            )
        )
    return records, next_cursor
