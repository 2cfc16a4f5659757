"""Payments made elsewhere (全渠道, decision 0003): the tax core's feed, settled by the same path as ours.

`elsewhere/` reads and matches the feed (check_*); these mutate, inside its step: a declaration for fed
payables that had none here, and the payment, applied through `settle.apply_success` (so a declaration
already paid meets it as a duplicate to refund).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.declarations.models import SUCCEEDED, Declaration
from shebao.identity.models import Person
from shebao.kit.clock import to_shanghai
from shebao.payables import states as payable_states
from shebao.payables.models import Payable
from shebao.payments.models import CREATED, Payment
from shebao.settlement.declare import build_declaration, declaration_item
from shebao.settlement.settle import apply_success

METHOD = "elsewhere"
TAX_CORE = Actor("taxcore", channel="taxcore")


@dataclass(frozen=True)
class FedPayment:
    """What the tax core reports of one payment (its rows already matched to a person)."""

    source_id: str  # the tax core's id: our out_trade_no, unique with the method
    channel: str  # counter | bank
    paid_at: datetime
    eticket_no: str | None


def do_declare_elsewhere(
    session: Session, person: Person, fed: FedPayment, paid: Sequence[tuple[Payable, int]]
) -> Declaration:
    """A declaration made elsewhere, of these payables at the fed amounts (each at least its base),
    built as declaring here builds one (`declare.build_declaration`), decided when it was paid."""
    items = [
        declaration_item(position, payable, payable.base_amount_fen, amount_fen - payable.base_amount_fen)
        for position, (payable, amount_fen) in enumerate(paid)
    ]
    payables = [payable for payable, _ in paid]
    declaration = build_declaration(
        session,
        person_id=person.id,
        declared_by_id=person.id,
        channel=fed.channel,
        payables=payables,
        items=items,
        overdue=False,  # 补缴 only when the fed amounts carry a late fee
        deadline=to_shanghai(fed.paid_at).date(),
        declared_at=fed.paid_at,
        decided_at=fed.paid_at,
    )
    for payable in payables:
        payable_states.declare(payable, declaration.id, fed.paid_at)
    record(
        session,
        actor=TAX_CORE,
        action="declaration.declare",
        object_type="declaration",
        object_id=declaration.id,
        at=fed.paid_at,
        after={"status": SUCCEEDED, "channel": fed.channel, "total_fen": declaration.total_fen},
    )
    return declaration


def do_record_elsewhere(
    session: Session, declaration: Declaration, person: Person, fed: FedPayment, *, now: datetime
) -> Payment:
    """The fed payment, recorded and applied: it pays the declaration, or is a duplicate to refund."""
    payment = Payment(
        declaration_id=declaration.id,
        payer_id=person.id,
        person_id=person.id,
        method=METHOD,
        channel=fed.channel,
        out_trade_no=fed.source_id,
        amount_fen=declaration.total_fen,
        status=CREATED,
        created_at=now,
        updated_at=now,
        expires_at=now,
    )
    session.add(payment)
    session.flush()
    record(
        session,
        actor=TAX_CORE,
        action="payment.created",
        object_type="payment",
        object_id=payment.id,
        at=now,
        after={"status": CREATED, "method": METHOD, "amount_fen": payment.amount_fen},
    )
    return apply_success(
        session,
        payment,
        provider_trade_no=fed.source_id,
        paid_at=fed.paid_at,
        now=now,
        actor=TAX_CORE,
        eticket_no=fed.eticket_no,
    )
