"""Apply one fed payment: find what it paid, record it, pay through the one settle path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.declarations.models import BACK_PAYMENT, NORMAL, SUCCEEDED, UNPAID, Declaration, DeclarationItem
from shebao.declarations.repository import DeclarationRepository
from shebao.elsewhere.rows import FedItem
from shebao.identity.models import Person
from shebao.identity.repository import PersonRepository
from shebao.kit.clock import to_shanghai
from shebao.payables import models as payable_status
from shebao.payables.models import Payable
from shebao.payments.models import CREATED, Payment
from shebao.payments.repository import PaymentRepository
from shebao.payments.service.query import close_open
from shebao.payments.service.settle import apply_success
from shebao.runtime import Runtime

METHOD = "elsewhere"
TAX_CORE = Actor("taxcore", channel="taxcore")


@dataclass(frozen=True)
class FedResult:
    source_id: str
    lines: tuple[int, ...]
    status: str  # applied | duplicate | unchanged | rejected
    reason: str


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def group(items: Iterable[FedItem]) -> list[list[FedItem]]:
    """The rows of one source_id are one payment (in the order they first appear)."""
    grouped: dict[str, list[FedItem]] = defaultdict(list)
    for item in items:
        grouped[item.source_id].append(item)
    return list(grouped.values())


def _same_payment(items: Sequence[FedItem]) -> None:
    first = items[0]
    for item in items[1:]:
        if (
            item.channel,
            item.paid_at,
            item.id_type,
            item.id_number,
            item.eticket_no,
            item.declaration_id,
        ) != (
            first.channel,
            first.paid_at,
            first.id_type,
            first.id_number,
            first.eticket_no,
            first.declaration_id,
        ):
            raise Refused("同一缴款编号的各行，渠道、时间、缴费人、税票号码须一致")


def _payables(session: Session, person: Person, items: Sequence[FedItem]) -> list[Payable]:
    found = []
    for item in items:
        payable = session.scalars(
            select(Payable)
            .where(
                Payable.person_id == person.id,
                Payable.scheme == item.scheme,
                Payable.levy_item == item.levy_item,
                Payable.period_start == item.period_start,
            )
            .with_for_update()
        ).first()
        if payable is None:
            raise Refused(f"未找到对应的应缴费信息：{item.levy_item} {item.period_start}")
        found.append(payable)
    return found


def _declaration_of_payables(
    session: Session, person: Person, items: Sequence[FedItem], payables: Sequence[Payable]
) -> Declaration:
    """The declaration the fed items paid: ours when they are exactly one of ours, else a new one."""
    if all(p.status == payable_status.TO_DECLARE for p in payables):
        return _declare_fed(session, person, items, payables)
    declaration_ids = {p.declaration_id for p in payables}
    if len(declaration_ids) == 1 and None not in declaration_ids:
        declared = DeclarationRepository(session).for_update(next(iter(declaration_ids)))  # type: ignore[arg-type]
        if declared is not None and {p.id for p in DeclarationRepository(session).payables_of(declared)} == {
            p.id for p in payables
        }:
            return declared
    raise Refused("与本系统的申报不一致，请人工核对")


def _declare_fed(
    session: Session, person: Person, items: Sequence[FedItem], payables: Sequence[Payable]
) -> Declaration:
    """A declaration made elsewhere: the tax core's amounts, fixed as paid."""
    first, paid_at = items[0], items[0].paid_at
    rows = []
    for position, (item, payable) in enumerate(zip(items, payables, strict=True)):
        if item.amount_fen < payable.base_amount_fen:
            raise Refused(f"缴款金额少于应缴费额：{item.levy_item} {item.period_start}")
        rows.append(
            DeclarationItem(
                payable_id=payable.id,
                position=position,
                levy_item=payable.levy_item,
                insurance_type=payable.insurance_type,
                period_start=payable.period_start,
                period_end=payable.period_end,
                base_amount_fen=payable.base_amount_fen,
                late_fee_fen=item.amount_fen - payable.base_amount_fen,
                amount_fen=item.amount_fen,
            )
        )
    late = sum(row.late_fee_fen for row in rows)
    declaration = Declaration(
        person_id=person.id,
        declared_by_id=person.id,
        scheme=first.scheme,
        kind=BACK_PAYMENT if late else NORMAL,
        channel=first.channel,
        tax_office_code=payables[0].tax_office_code,
        agency_code=payables[0].agency_code,
        period_start=min(p.period_start for p in payables),
        period_end=max(p.period_end for p in payables),
        total_fen=sum(row.amount_fen for row in rows),
        late_fee_fen=late,
        status=SUCCEEDED,
        payment_status=UNPAID,
        deadline=to_shanghai(paid_at).date(),
        declared_at=paid_at,
        decided_at=paid_at,
        items=rows,
    )
    session.add(declaration)
    session.flush()
    for payable in payables:
        payable.status, payable.declaration_id, payable.updated_at = (
            payable_status.DECLARED,
            declaration.id,
            paid_at,
        )
    record(
        session,
        actor=TAX_CORE,
        action="declaration.declare",
        object_type="declaration",
        object_id=declaration.id,
        at=paid_at,
        after={"status": SUCCEEDED, "channel": first.channel, "total_fen": declaration.total_fen},
    )
    return declaration


def _apply(session: Session, items: Sequence[FedItem], now: datetime) -> tuple[str, Declaration | None]:
    first = items[0]
    if PaymentRepository(session).by_trade(METHOD, first.source_id) is not None:
        return "unchanged", None
    _same_payment(items)
    person = PersonRepository(session).by_document(first.id_type, first.id_number)
    if person is None:
        raise Refused("未找到该缴费人的参保信息")
    total = sum(item.amount_fen for item in items)
    if first.declaration_id is not None:
        declaration = DeclarationRepository(session).for_update(first.declaration_id)
        if declaration is None or declaration.person_id != person.id:
            raise Refused("未找到对应的申报")
        if declaration.total_fen != total:
            raise Refused("缴款金额与申报金额不一致")
    else:
        declaration = _declaration_of_payables(session, person, items, _payables(session, person, items))
        if declaration.total_fen != total:
            raise Refused("缴款金额与申报金额不一致")
    payment = Payment(
        declaration_id=declaration.id,
        payer_id=person.id,
        person_id=person.id,
        method=METHOD,
        channel=first.channel,
        out_trade_no=first.source_id,
        amount_fen=total,
        status=CREATED,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )
    session.add(payment)
    session.flush()
    paid = apply_success(
        session,
        payment,
        provider_trade_no=first.source_id,
        paid_at=first.paid_at,
        now=now,
        actor=TAX_CORE,
        eticket_no=first.eticket_no,
    )
    return ("duplicate" if paid.duplicate else "applied"), declaration


def apply_fed_payment(runtime: Runtime, items: Sequence[FedItem]) -> FedResult:
    lines = tuple(item.line for item in items)
    source = items[0].source_id
    now = runtime.clock.now()  # before any lock: refreshing the clock takes a connection of its own
    try:
        with runtime.db.transaction() as session:
            status, declaration = _apply(session, items, now)
    except Refused as refused:
        return FedResult(source, lines, "rejected", refused.reason)
    except IntegrityError:  # the same source_id, fed twice at once: the other delivery recorded it
        status, declaration = "unchanged", None
    if declaration is not None:
        close_open(runtime, declaration.id)  # open payments here of a declaration now paid elsewhere
    reasons = {
        "applied": "已入账",
        "duplicate": "该申报已缴款，本笔记为重复缴费待退款",
        "unchanged": "已入账（重复推送）",
    }
    return FedResult(source, lines, status, reasons[status])
