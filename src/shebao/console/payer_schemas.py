"""The console's payer look-up as the API answers it: personal data masked, amounts in fen, states with
their Chinese labels, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from shebao.agreements.models import STATUS_LABELS as AGREEMENT_LABELS
from shebao.audit.labels import action_label, actor_type_label, object_type_label
from shebao.audit.models import AuditEntry
from shebao.certificates.models import STATUS_LABELS as CERTIFICATE_LABELS
from shebao.console.dossier import Dossier
from shebao.console.lookup import Revealed
from shebao.declarations.models import KIND_LABELS
from shebao.declarations.models import STATUS_LABELS as DECLARATION_LABELS
from shebao.deductions.models import DEDUCTION_LABELS
from shebao.deductions.models import STATUS_LABELS as SETTING_LABELS
from shebao.enrolment.terms import CATEGORY_LABELS, INSURANCE_TYPE_LABELS, scheme_label
from shebao.identity.documents import ID_TYPE_LABELS, IdType
from shebao.kit.clock import to_shanghai
from shebao.payables.models import STATUS_LABELS as PAYABLE_LABELS
from shebao.payments.models import CHANNEL_LABELS, METHOD_LABELS
from shebao.payments.models import STATUS_LABELS as PAYMENT_LABELS

REFUND_LABELS = {"to_refund": "待退款", "refunded": "已退款"}


def _at(moment: datetime | None) -> datetime | None:
    return to_shanghai(moment) if moment is not None else None


class Enrolment(BaseModel):
    id: str
    scheme: str
    scheme_label: str
    category: str | None
    category_label: str | None
    insurance_types: list[str]
    insurance_type_labels: list[str]
    monthly_base_fen: int | None
    annual_amount_fen: int | None
    tax_office_code: str
    agency_code: str
    period_start: str | None
    period_end: str | None


class Payable(BaseModel):
    id: str
    scheme: str
    levy_item: str
    insurance_type: str | None
    insurance_type_label: str | None
    period_start: str
    period_end: str
    base_amount_fen: int
    due_date: date
    status: str
    status_label: str
    declaration_id: str | None
    tax_office_code: str


class DeclarationShown(BaseModel):
    id: str
    person_id: str
    declared_by_id: str
    scheme: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    payment_status: str
    period_start: str
    period_end: str
    total_fen: int
    late_fee_fen: int
    deadline: date
    tax_office_code: str
    channel: str
    declared_at: datetime
    paid_at: datetime | None


class ProviderEvent(BaseModel):
    """A provider's notification as it was stored in the inbox (its payload stays there)."""

    channel: str
    event_id: str
    received_at: datetime
    processed_at: datetime | None
    outcome: str | None


class Payment(BaseModel):
    id: str
    declaration_id: str
    person_id: str
    payer_id: str
    method: str
    method_label: str
    channel: str
    channel_label: str
    out_trade_no: str
    provider_trade_no: str | None
    amount_fen: int
    status: str
    status_label: str
    eticket_no: str | None
    duplicate: bool
    refund_status: str | None
    refund_status_label: str | None
    created_at: datetime
    succeeded_at: datetime | None
    events: list[ProviderEvent]


class Eticket(BaseModel):
    eticket_no: str
    payment_id: str
    amount_fen: int
    paid_at: datetime | None


class Agreement(BaseModel):
    id: str
    agreement_no: str
    bank_code: str
    account_no: str = Field(description="已打码")
    holder_name: str = Field(description="已打码")
    tax_office_code: str
    withhold: bool
    status: str
    status_label: str
    effective_from: date | None
    signed_at: datetime


class Setting(BaseModel):
    id: str
    person_id: str
    payer_id: str
    scheme: str
    scheme_label: str
    annual_amount_fen: int | None
    agreement_id: str
    valid_from: int
    valid_to: int
    status: str
    status_label: str


class Deduction(BaseModel):
    id: str
    deduction_no: str
    scheme: str
    fee_year: int
    amount_fen: int
    run_date: date
    status: str
    status_label: str
    failure_reason: str | None


class Certificate(BaseModel):
    id: str
    certificate_no: str
    person_id: str
    scheme: str
    period_from: str
    period_to: str
    status: str
    status_label: str
    total_fen: int | None
    applied_at: datetime
    issued_at: datetime | None


class AuditRow(BaseModel):
    id: str
    occurred_at: datetime
    actor_type: str
    actor_type_label: str = Field(description="操作人类型的中文名，如 操作员")
    actor_id: str | None
    channel: str | None
    action: str = Field(description="操作代码，如 payment.succeeded")
    action_label: str = Field(description="操作的中文名，如 支付成功")
    object_type: str
    object_type_label: str = Field(description="对象类型的中文名，如 缴款")
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Payer(BaseModel):
    """A payer (缴费人) and what the system holds about them; name, document and phone masked."""

    id: str
    id_type: str
    id_type_label: str
    masked_name: str
    masked_id_number: str
    masked_phone: str
    enrolments: list[Enrolment]
    payables: list[Payable]
    declarations: list[DeclarationShown]
    payments: list[Payment]
    etickets: list[Eticket]
    agreements: list[Agreement]
    settings: list[Setting]
    deductions: list[Deduction]
    certificates: list[Certificate]
    audit: list[AuditRow] = Field(description="关于该缴费人及其业务对象的审计记录（最新 200 条）")


class RevealRequest(BaseModel):
    reason: str = Field(default="", max_length=500, description="查看完整信息的原因（必填，记入审计日志）")


class RevealedPayer(BaseModel):
    id: str
    id_type: str
    id_type_label: str
    name: str
    id_number: str
    phone: str | None


def audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        id=str(entry.id),
        occurred_at=to_shanghai(entry.occurred_at),
        actor_type=entry.actor_type,
        actor_type_label=actor_type_label(entry.actor_type),
        actor_id=entry.actor_id,
        channel=entry.channel,
        action=entry.action,
        action_label=action_label(entry.action),
        object_type=entry.object_type,
        object_type_label=object_type_label(entry.object_type),
        object_id=entry.object_id,
        before=entry.before,
        after=entry.after,
    )


def revealed(shown: Revealed) -> RevealedPayer:
    return RevealedPayer(
        id=str(shown.person_id),
        id_type=shown.id_type,
        id_type_label=shown.id_type_label,
        name=shown.name,
        id_number=shown.id_number,
        phone=shown.phone,
    )


def payer(found: Dossier) -> Payer:
    person = found.person
    return Payer(
        id=str(person.id),
        id_type=person.id_type,
        id_type_label=ID_TYPE_LABELS.get(IdType(person.id_type), person.id_type),
        masked_name=person.masked_name,
        masked_id_number=person.masked_id_number,
        masked_phone=person.masked_phone,
        enrolments=[
            Enrolment(
                id=str(e.id),
                scheme=e.scheme,
                scheme_label=scheme_label(e.scheme),
                category=e.category,
                category_label=CATEGORY_LABELS.get(e.category or ""),
                insurance_types=e.insurance_types.split(";") if e.insurance_types else [],
                insurance_type_labels=[
                    INSURANCE_TYPE_LABELS.get(kind, kind)
                    for kind in (e.insurance_types or "").split(";")
                    if kind
                ],
                monthly_base_fen=e.monthly_base_fen,
                annual_amount_fen=e.annual_amount_fen,
                tax_office_code=e.tax_office_code,
                agency_code=e.agency_code,
                period_start=e.period_start,
                period_end=e.period_end,
            )
            for e in found.enrolments
        ],
        payables=[
            Payable(
                id=str(p.id),
                scheme=p.scheme,
                levy_item=p.levy_item,
                insurance_type=p.insurance_type,
                insurance_type_label=INSURANCE_TYPE_LABELS.get(p.insurance_type or ""),
                period_start=p.period_start,
                period_end=p.period_end,
                base_amount_fen=p.base_amount_fen,
                due_date=p.due_date,
                status=p.status,
                status_label=PAYABLE_LABELS.get(p.status, p.status),
                declaration_id=str(p.declaration_id) if p.declaration_id else None,
                tax_office_code=p.tax_office_code,
            )
            for p in found.payables
        ],
        declarations=[
            DeclarationShown(
                id=str(d.id),
                person_id=str(d.person_id),
                declared_by_id=str(d.declared_by_id),
                scheme=d.scheme,
                kind=d.kind,
                kind_label=KIND_LABELS.get(d.kind, d.kind),
                status=d.status,
                status_label=DECLARATION_LABELS.get(d.status, d.status),
                payment_status=d.payment_status,
                period_start=d.period_start,
                period_end=d.period_end,
                total_fen=d.total_fen,
                late_fee_fen=d.late_fee_fen,
                deadline=d.deadline,
                tax_office_code=d.tax_office_code,
                channel=d.channel,
                declared_at=to_shanghai(d.declared_at),
                paid_at=_at(d.paid_at),
            )
            for d in found.declarations
        ],
        payments=[
            Payment(
                id=str(p.id),
                declaration_id=str(p.declaration_id),
                person_id=str(p.person_id),
                payer_id=str(p.payer_id),
                method=p.method,
                method_label=METHOD_LABELS.get(p.method, p.method),
                channel=p.channel,
                channel_label=CHANNEL_LABELS.get(p.channel, p.channel),
                out_trade_no=p.out_trade_no,
                provider_trade_no=p.provider_trade_no,
                amount_fen=p.amount_fen,
                status=p.status,
                status_label=PAYMENT_LABELS.get(p.status, p.status),
                eticket_no=p.eticket_no,
                duplicate=p.duplicate,
                refund_status=p.refund_status,
                refund_status_label=REFUND_LABELS.get(p.refund_status or ""),
                created_at=to_shanghai(p.created_at),
                succeeded_at=_at(p.succeeded_at),
                events=[
                    ProviderEvent(
                        channel=e.channel,
                        event_id=e.event_id,
                        received_at=to_shanghai(e.received_at),
                        processed_at=_at(e.processed_at),
                        outcome=e.outcome,
                    )
                    for e in found.events.get(p.out_trade_no, [])
                ],
            )
            for p in found.payments
        ],
        etickets=[
            Eticket(
                eticket_no=p.eticket_no or "",
                payment_id=str(p.id),
                amount_fen=p.amount_fen,
                paid_at=_at(p.succeeded_at),
            )
            for p in found.etickets
        ],
        agreements=[
            Agreement(
                id=str(a.id),
                agreement_no=a.agreement_no,
                bank_code=a.bank_code,
                account_no=a.masked_account,
                holder_name=a.masked_holder,
                tax_office_code=a.tax_office_code,
                withhold=a.withhold,
                status=a.status,
                status_label=AGREEMENT_LABELS.get(a.status, a.status),
                effective_from=a.effective_from,
                signed_at=to_shanghai(a.signed_at),
            )
            for a in found.agreements
        ],
        settings=[
            Setting(
                id=str(s.id),
                person_id=str(s.person_id),
                payer_id=str(s.payer_id),
                scheme=s.scheme,
                scheme_label=scheme_label(s.scheme),
                annual_amount_fen=s.annual_amount_fen,
                agreement_id=str(s.agreement_id),
                valid_from=s.valid_from,
                valid_to=s.valid_to,
                status=s.status,
                status_label=SETTING_LABELS.get(s.status, s.status),
            )
            for s in found.settings
        ],
        deductions=[
            Deduction(
                id=str(d.id),
                deduction_no=d.deduction_no,
                scheme=d.scheme,
                fee_year=d.fee_year,
                amount_fen=d.amount_fen,
                run_date=d.run_date,
                status=d.status,
                status_label=DEDUCTION_LABELS.get(d.status, d.status),
                failure_reason=d.failure_reason,
            )
            for d in found.deductions
        ],
        certificates=[
            Certificate(
                id=str(c.id),
                certificate_no=c.certificate_no,
                person_id=str(c.person_id),
                scheme=c.scheme,
                period_from=c.period_from,
                period_to=c.period_to,
                status=c.status,
                status_label=CERTIFICATE_LABELS.get(c.status, c.status),
                total_fen=c.total_fen,
                applied_at=to_shanghai(c.applied_at),
                issued_at=_at(c.issued_at),
            )
            for c in found.certificates
        ],
        audit=[audit_row(entry) for entry in found.audit],
    )
