"""申报: a declaration of chosen payables, priced today, decided by the tax core.

Validate (`check_*`), then mutate (`do_*`) with the payables locked (settlement.lock). A declaration is
built in one place, `build_declaration`: declaring here and a payment made elsewhere (elsewhere.py)
differ only in the items they fix and in who decides the declaration.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.declarations import errors
from shebao.declarations import states as declaration_states
from shebao.declarations.models import (
    BACK_PAYMENT,
    FAILED,
    NORMAL,
    PROCESSING,
    SUCCEEDED,
    UNPAID,
    Declaration,
    DeclarationItem,
)
from shebao.declarations.repository import DeclarationRepository
from shebao.declarations.taxcore import Decision, tax_core
from shebao.enrolment.terms import FLEXIBLE_EMPLOYMENT, RESIDENT_MEDICAL, RESIDENT_PENSION
from shebao.errors import ValidationFailed
from shebao.identity.models import Person
from shebao.kit.clock import to_shanghai
from shebao.kit.periods import Period
from shebao.payables import models as payable_status
from shebao.payables import states as payable_states
from shebao.payables.models import Payable
from shebao.payables.service import amounts_today
from shebao.policy import calc
from shebao.policy.tables import PolicyMissing, PolicyTables, default_policy
from shebao.settlement import lock


def _window(policy: PolicyTables, scheme: str, fee_year: int) -> tuple[date, date]:
    if scheme == RESIDENT_MEDICAL:
        return calc.resident_medical_window(policy, fee_year)
    return calc.pension_window(policy, fee_year)


def _window_message(policy: PolicyTables, scheme: str, today: date) -> str:
    collectable = (
        calc.resident_medical_collectable if scheme == RESIDENT_MEDICAL else calc.pension_collectable
    )(policy, today)
    return collectable.message or "当前不在缴费期内"


def _ordered(payables: Sequence[Payable]) -> list[Payable]:
    return sorted(payables, key=lambda p: (p.period_start, p.levy_item))


def declaration_item(position: int, payable: Payable, base_fen: int, late_fee_fen: int) -> DeclarationItem:
    """One line of a declaration: a payable at the amounts it is declared (and paid) at."""
    return DeclarationItem(
        payable_id=payable.id,
        position=position,
        levy_item=payable.levy_item,
        insurance_type=payable.insurance_type,
        period_start=payable.period_start,
        period_end=payable.period_end,
        base_amount_fen=base_fen,
        late_fee_fen=late_fee_fen,
        amount_fen=base_fen + late_fee_fen,
    )


def build_declaration(
    session: Session,
    *,
    person_id: uuid.UUID,
    declared_by_id: uuid.UUID,
    channel: str,
    payables: Sequence[Payable],
    items: Sequence[DeclarationItem],
    overdue: bool,
    deadline: date,
    declared_at: datetime,
    decided_at: datetime | None = None,
) -> Declaration:
    """The one declaration builder: the items' payables (one scheme, tax office and agency), their fee
    periods and totals; 补缴 when overdue or a late fee is fixed in. Decided (申报成功) when `decided_at`
    is given, else 处理中 until the tax core answers. Added and flushed, its payables not yet moved."""
    first = payables[0]
    late = sum(item.late_fee_fen for item in items)
    declaration = Declaration(
        person_id=person_id,
        declared_by_id=declared_by_id,
        scheme=first.scheme,
        kind=BACK_PAYMENT if overdue or late > 0 else NORMAL,
        channel=channel,
        tax_office_code=first.tax_office_code,
        agency_code=first.agency_code,
        period_start=min(p.period_start for p in payables),
        period_end=max(p.period_end for p in payables),
        total_fen=sum(item.amount_fen for item in items),
        late_fee_fen=late,
        status=PROCESSING if decided_at is None else SUCCEEDED,
        payment_status=UNPAID,
        deadline=deadline,
        declared_at=declared_at,
        decided_at=decided_at,
        items=list(items),
    )
    session.add(declaration)
    session.flush()
    return declaration


class Declarer:
    """A payer declaring for themself or a family member (`insured`), on the service clock's today."""

    def __init__(self, session: Session, payer: Person, *, channel: str, now: datetime) -> None:
        self.session = session
        self.payer = payer
        self.channel = channel
        self.actor = Actor("payer", str(payer.id), channel)
        self.repository = DeclarationRepository(session)
        self.now = now
        self.today = to_shanghai(now).date()
        self.policy = default_policy()

    # validate ----------------------------------------------------------------------------------
    def check_can_declare(self, payables: Sequence[Payable], insured: Person, wanted: int) -> None:
        if len(payables) != wanted or any(p.person_id != insured.id for p in payables):
            raise errors.PayableNotFound()
        if any(p.status == payable_status.PAID for p in payables):
            raise errors.AlreadyPaid()
        if any(p.status == payable_status.DECLARED for p in payables):
            raise errors.AlreadyDeclared()
        if len({(p.scheme, p.tax_office_code, p.agency_code) for p in payables}) != 1:
            raise errors.MixedSelection()
        scheme = payables[0].scheme
        if scheme in (RESIDENT_MEDICAL, RESIDENT_PENSION):
            for payable in payables:
                opens, closes = _window(self.policy, scheme, Period.parse(payable.period_start).year)
                if not opens <= self.today <= closes:
                    raise errors.OutsideWindow(_window_message(self.policy, scheme, self.today))

    def check_pension_amount(self, payables: Sequence[Payable], annual_amount_fen: int | None) -> int | None:
        """The chosen 养老 annual amount (a tier or 其他金额), or None when the fee has no choice."""
        if annual_amount_fen is None:
            return None
        if payables[0].scheme != RESIDENT_PENSION:
            raise errors.AmountNotAllowed()
        try:
            return calc.check_pension_amount(
                self.policy, Period.parse(payables[0].period_start).year, annual_amount_fen
            )
        except (calc.PolicyError, PolicyMissing) as exc:
            raise ValidationFailed(exc.message, fields={"annual_amount_fen": exc.message}) from exc

    def price_items(self, payables: Sequence[Payable], chosen_fen: int | None) -> list[DeclarationItem]:
        """The items a declaration of these payables would fix today (also the confirmation's preview)."""
        items: list[DeclarationItem] = []
        for position, payable in enumerate(_ordered(payables)):
            amounts = amounts_today(payable, self.policy, self.today)
            base = chosen_fen if chosen_fen is not None else amounts.base_amount_fen
            items.append(declaration_item(position, payable, base, amounts.late_fee_fen))
        return items

    def preview(
        self, payable_ids: Sequence[uuid.UUID], insured: Person, *, annual_amount_fen: int | None = None
    ) -> list[DeclarationItem]:
        """What `declare` would do, without doing it (the page's confirmation step)."""
        wanted = list(dict.fromkeys(payable_ids))
        if not wanted:
            raise errors.NothingSelected()
        payables = self.repository.payables(wanted)
        self.check_can_declare(payables, insured, len(wanted))
        return self.price_items(payables, self.check_pension_amount(payables, annual_amount_fen))

    # declare -----------------------------------------------------------------------------------
    def declare(
        self, payable_ids: Sequence[uuid.UUID], insured: Person, *, annual_amount_fen: int | None = None
    ) -> Declaration:
        wanted = list(dict.fromkeys(payable_ids))
        if not wanted:
            raise errors.NothingSelected()
        payables = lock.payables(self.session, wanted)
        self.check_can_declare(payables, insured, len(wanted))
        chosen = self.check_pension_amount(payables, annual_amount_fen)
        return self.do_declare(payables, insured, chosen)

    def do_declare(self, payables: Sequence[Payable], insured: Person, chosen_fen: int | None) -> Declaration:
        ordered = _ordered(payables)
        items = self.price_items(ordered, chosen_fen)
        late = sum(item.late_fee_fen for item in items)
        declaration = build_declaration(
            self.session,
            person_id=insured.id,
            declared_by_id=self.payer.id,
            channel=self.channel,
            payables=ordered,
            items=items,
            overdue=any(p.due_date < self.today for p in ordered),
            deadline=self._deadline(ordered, late),
            declared_at=self.now,
        )
        self._apply(declaration, tax_core().submit(declaration), ordered)
        record(
            self.session,
            actor=self.actor,
            action="declaration.declare",
            object_type="declaration",
            object_id=declaration.id,
            at=self.now,
            after={
                "status": declaration.status,
                "total_fen": declaration.total_fen,
                "person_id": str(insured.id),
                "payables": [str(p.id) for p in ordered],
            },
        )
        return declaration

    def _deadline(self, payables: Sequence[Payable], late_fee_fen: int) -> date:
        """缴款期限: the window's end for the resident schemes; for flexible employment the earliest
        due date, or today when a late fee is fixed into the total (it grows every day after)."""
        scheme = payables[0].scheme
        if scheme == FLEXIBLE_EMPLOYMENT:
            return self.today if late_fee_fen else max(self.today, min(p.due_date for p in payables))
        return _window(self.policy, scheme, Period.parse(payables[0].period_start).year)[1]

    def _apply(self, declaration: Declaration, decision: Decision, payables: Sequence[Payable]) -> None:
        if decision.outcome == "refused":
            declaration_states.move(declaration, FAILED)
            declaration.failure_reason = decision.reason or "申报失败"
            declaration.decided_at = self.now
            return
        if decision.outcome == "accepted":
            declaration_states.move(declaration, SUCCEEDED)
            declaration.decided_at = self.now
        for payable in payables:
            payable_states.declare(payable, declaration.id, self.now)
