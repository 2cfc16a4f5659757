"""Apply one fed payment: find what it paid, record it, pay through the one settle path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.declarations.models import Declaration
from shebao.declarations.repository import DeclarationRepository
from shebao.elsewhere.rows import FedItem
from shebao.identity.models import Person
from shebao.identity.repository import PersonRepository
from shebao.payables import models as payable_status
from shebao.payables.models import Payable
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from shebao.settlement.elsewhere import METHOD, FedPayment, do_declare_elsewhere, do_record_elsewhere
from shebao.settlement.query import close_open


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
    for item, payable in zip(items, payables, strict=True):
        if item.amount_fen < payable.base_amount_fen:
            raise Refused(f"缴款金额少于应缴费额：{item.levy_item} {item.period_start}")
    paid = [(payable, item.amount_fen) for item, payable in zip(items, payables, strict=True)]
    return do_declare_elsewhere(session, person, _fed(items), paid)


def _fed(items: Sequence[FedItem]) -> FedPayment:
    first = items[0]
    return FedPayment(first.source_id, first.channel, first.paid_at, first.eticket_no)


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
    paid = do_record_elsewhere(session, declaration, person, _fed(items), now=now)
    return ("duplicate" if paid.duplicate else "applied"), declaration


def apply_fed_payment(runtime: Runtime, items: Sequence[FedItem]) -> FedResult:
    lines = tuple(item.line for item in items)
    source = items[0].source_id
    work = runtime.work()
    try:
        with work.step() as step:
            status, declaration = _apply(step.session, items, step.now)
    except Refused as refused:
        return FedResult(source, lines, "rejected", refused.reason)
    except IntegrityError:  # the same source_id, fed twice at once: the other delivery recorded it
        status, declaration = "unchanged", None
    if declaration is not None:
        close_open(runtime, declaration.id, work)  # open payments here of a declaration now paid elsewhere
    reasons = {
        "applied": "已入账",
        "duplicate": "该申报已缴款，本笔记为重复缴费待退款",
        "unchanged": "已入账（重复推送）",
    }
    return FedResult(source, lines, status, reasons[status])
