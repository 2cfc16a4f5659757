"""What settlement does to a declaration: may it be paid, may it be voided, void it (作废).

Validate (`check_*`), then mutate (`do_*`) with the declaration locked (settlement.lock). A declaration
is voided, and its open payments closed, only by its declarer or the insured person (DESIGN.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.db import UnitOfWork
from shebao.declarations import errors
from shebao.declarations import states as declaration_states
from shebao.declarations.models import FAILED, PAID, PROCESSING, VOIDED, Declaration
from shebao.declarations.repository import DeclarationRepository
from shebao.declarations.service import DeclarationService
from shebao.errors import Conflict
from shebao.identity.models import Person
from shebao.payables import states as payable_states
from shebao.payments import errors as payment_errors
from shebao.payments.models import UNKNOWN
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from shebao.settlement.query import close_open


class DeadlinePassed(Conflict):
    code = "declaration_deadline_passed"
    message = "已超过缴款期限，请作废后重新申报"


def check_can_pay(declaration: Declaration, today: date) -> None:
    if declaration.payment_status == PAID:
        raise errors.DeclarationAlreadyPaid("该申报已缴款，无需重复缴费")
    if declaration.status == VOIDED:
        raise errors.DeclarationVoided()
    if declaration.status == PROCESSING:
        raise errors.DeclarationProcessing()
    if declaration.status == FAILED:
        raise errors.DeclarationFailed()
    if today > declaration.deadline:
        raise DeadlinePassed()


def check_may_void(payer: Person, declaration: Declaration) -> None:
    """Only its declarer or the insured person voids a declaration (and closes its payments)."""
    if payer.id not in (declaration.declared_by_id, declaration.person_id):
        raise errors.NotDeclarer()


def check_can_void(session: Session, declaration: Declaration) -> None:
    if declaration.payment_status == PAID:
        raise errors.DeclarationAlreadyPaid()
    if declaration.status == VOIDED:
        raise errors.DeclarationVoided()
    if declaration.status == PROCESSING:
        raise errors.DeclarationProcessing("申报处理中，暂不能作废")
    if declaration.status == FAILED:
        raise errors.DeclarationFailed("该申报未成功，无需作废")
    # A void waits while a payment may still succeed: open, unknown, or its close not confirmed.
    for payment in PaymentRepository(session).of_declaration(declaration.id):
        if payment.is_open or payment.status == UNKNOWN or payment.close_pending:
            raise payment_errors.ResultPending("缴费结果确认中，暂不能作废")


def do_void(session: Session, declaration: Declaration, *, actor: Actor, now: datetime) -> None:
    before = declaration.status
    declaration_states.move(declaration, VOIDED)
    declaration.voided_at = now
    for payable in DeclarationRepository(session).payables_of(declaration):
        payable_states.release(payable, now)
    record(
        session,
        actor=actor,
        action="declaration.void",
        object_type="declaration",
        object_id=declaration.id,
        at=now,
        before={"status": before},
        after={"status": VOIDED},
    )


def void_declaration(
    runtime: Runtime,
    payer: Person,
    declaration_id: uuid.UUID,
    *,
    channel: str,
    work: UnitOfWork | None = None,
) -> Declaration:
    """作废: close the declaration's open payments at their provider first (between steps), then void it
    in one step with the declaration locked, every rule checked again."""
    work = work or runtime.work()
    with work.read() as session:
        found = DeclarationService(runtime, session, payer, channel=channel).get(declaration_id)
        check_may_void(payer, found)
    close_open(runtime, declaration_id, work)
    with work.step() as step:
        declarations = DeclarationService(runtime, step.session, payer, channel=channel)
        declaration = declarations.get(declaration_id, for_update=True)
        check_may_void(payer, declaration)
        check_can_void(step.session, declaration)
        do_void(step.session, declaration, actor=declarations.actor, now=step.now)
        return declaration
