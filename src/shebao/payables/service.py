"""Payables from enrolments: generate them, recompute the undeclared ones, and read them as of today.

Services never commit: the import's chunk, the sweep's batch or the request does.
Generation is idempotent: a payable that exists is never created again (and the unique constraint on
(enrolment, levy item, fee period) turns a race into an IntegrityError the caller retries).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.db import UnitOfWork
from shebao.enrolment.models import Enrolment
from shebao.enrolment.repository import EnrolmentRepository
from shebao.enrolment.terms import (
    FLEXIBLE_EMPLOYMENT,
    RESIDENT_MEDICAL,
    RESIDENT_PENSION,
    EnrolmentTerms,
)
from shebao.kit.clock import ServiceClock
from shebao.kit.ids import new_id
from shebao.kit.pagination import PageRequest
from shebao.kit.periods import Period
from shebao.logging import log
from shebao.payables.models import TO_DECLARE, Payable
from shebao.payables.pricing import ItemKey, Plan, Priced, late_fee_fen, plan, price
from shebao.payables.repository import PayableRepository
from shebao.policy.calc import pension_collectable, resident_medical_collectable
from shebao.policy.tables import PolicyMissing, PolicyTables, default_policy
from shebao.reference.models import Agency, TaxOffice

SWEEP_BATCH = 500
_RETRIES = 3


@dataclass
class SyncResult:
    """What generating (or recomputing) one enrolment's payables did."""

    plan: Plan
    created: int = 0
    recomputed: int = 0
    removed: int = 0
    kept: int = 0  # no longer owed, but rows of a later step (a voided declaration) refer to them

    def describe(self, *, update: bool) -> list[str]:
        parts: list[str] = []
        if self.created:
            parts.append(f"生成应缴费{self.created}条")
        if update and self.recomputed:
            parts.append(f"重新计算待申报应缴费{self.recomputed}条")
        if update and self.removed:
            parts.append(f"删除不再应缴的待申报应缴费{self.removed}条")
        if update and self.kept:
            parts.append(f"{self.kept}条不再应缴的待申报应缴费有申报记录，予以保留")
        return parts + self.plan.describe()


def _still_owed(terms: EnrolmentTerms, key: ItemKey) -> bool:
    if key.scheme != terms.scheme:
        return False
    if key.scheme == FLEXIBLE_EMPLOYMENT:
        return key.insurance_type in terms.insurance_types and terms.covers(key.period_start)
    return terms.covers_year(key.period_start.year)


def _delete_unless_referenced(session: Session, payable: Payable) -> bool:
    """Delete a payable no longer owed, unless the database refuses: a once-declared payable (its
    declaration voided since) stays, because the declaration's items still refer to it."""
    try:
        with session.begin_nested():
            session.delete(payable)
    except IntegrityError:
        return False
    return True


def _recompute(payable: Payable, priced: Priced, terms: EnrolmentTerms, now: datetime) -> bool:
    wanted = {
        "base_amount_fen": priced.base_amount_fen,
        "due_date": priced.due_date,
        "period_end": str(priced.period_end),
        "tax_office_code": terms.tax_office_code,
        "agency_code": terms.agency_code,
    }
    changed = False
    for name, value in wanted.items():
        if getattr(payable, name) != value:
            setattr(payable, name, value)
            changed = True
    if changed:
        payable.updated_at = now
    return changed


def payable_values(
    *, person_id: uuid.UUID, enrolment_id: uuid.UUID, terms: EnrolmentTerms, priced: Priced, now: datetime
) -> dict[str, object]:
    """The columns of a new payable (for `new_payable` and for bulk inserts)."""
    return {
        "id": new_id(),
        "person_id": person_id,
        "enrolment_id": enrolment_id,
        "scheme": priced.key.scheme,
        "insurance_type": priced.key.insurance_type,
        "levy_item": priced.levy_item,
        "period_start": str(priced.key.period_start),
        "period_end": str(priced.period_end),
        "base_amount_fen": priced.base_amount_fen,
        "due_date": priced.due_date,
        "tax_office_code": terms.tax_office_code,
        "agency_code": terms.agency_code,
        "status": TO_DECLARE,
        "created_at": now,
        "updated_at": now,
    }


def first_payables(
    enrolment_id: uuid.UUID,
    person_id: uuid.UUID,
    terms: EnrolmentTerms,
    *,
    policy: PolicyTables,
    today: date,
    now: datetime,
    plans: dict[EnrolmentTerms, Plan] | None = None,
) -> tuple[SyncResult, list[dict[str, object]], str | None]:
    """The payables of an enrolment being created, as rows for one bulk insert, and the enrolment's
    `payables_through` (an import creates thousands of enrolments at once). `plans` keeps the plan of
    terms already seen for the same policy and day (a file's rows share a handful of terms)."""
    planned = plans.get(terms) if plans is not None else None
    if planned is None:
        planned = plan(terms, policy, today)
        if plans is not None:
            plans[terms] = planned
    result = SyncResult(plan=planned)
    rows = [
        payable_values(person_id=person_id, enrolment_id=enrolment_id, terms=terms, priced=item, now=now)
        for item in result.plan.items
    ]
    result.created = len(rows)
    through = result.plan.through if result.plan.advances else None
    return result, rows, str(through) if through is not None else None


def sync_enrolment(
    session: Session,
    enrolment: Enrolment,
    existing: Sequence[Payable],
    *,
    policy: PolicyTables,
    today: date,
    now: datetime,
    recompute: bool,
    until: Period | None = None,
) -> SyncResult:
    """Create the payables due and missing; with `recompute` (the enrolment changed), also bring every
    undeclared payable in line with the new terms, and delete the undeclared ones it no longer covers.
    Declared and paid payables are never touched."""
    terms = enrolment.terms
    result = SyncResult(plan=plan(terms, policy, today, until=until))
    present = {(payable.levy_item, payable.period_start) for payable in existing}
    if recompute:
        for payable in existing:
            if payable.status != TO_DECLARE:
                continue
            key = ItemKey(Period.parse(payable.period_start), payable.scheme, payable.insurance_type)
            if not _still_owed(terms, key):
                if _delete_unless_referenced(session, payable):
                    present.discard((payable.levy_item, payable.period_start))
                    result.removed += 1
                else:
                    result.kept += 1
                continue
            try:
                priced = price(terms, policy, key)
            except PolicyMissing:
                continue  # its table went away: keep the amount it was generated with
            if _recompute(payable, priced, terms, now):
                result.recomputed += 1
    for item in result.plan.items:
        if (item.levy_item, str(item.key.period_start)) in present:
            continue
        values = payable_values(
            person_id=enrolment.person_id, enrolment_id=enrolment.id, terms=terms, priced=item, now=now
        )
        session.add(Payable(**values))
        result.created += 1
    if result.plan.advances:
        through = result.plan.through
        enrolment.payables_through = str(through) if through is not None else None
    return result


# ------------------------------------------------------------------------------ the sweep


@dataclass
class SweepResult:
    enrolments: int = 0
    created: int = 0
    by_scheme: dict[str, int] = field(default_factory=dict)


def sweep_targets(policy: PolicyTables, today: date, until: Period | None = None) -> dict[str, Period]:
    """Per scheme, the fee period payables should reach today (resident schemes: only in their window)."""
    current = Period.of(today)
    targets: dict[str, Period] = {}
    for scheme, collectable_of in (
        (RESIDENT_MEDICAL, resident_medical_collectable),
        (RESIDENT_PENSION, pension_collectable),
    ):
        try:
            collectable = collectable_of(policy, today)
        except PolicyMissing:
            continue
        if collectable.fee_year is not None:
            targets[scheme] = Period(collectable.fee_year, 12)
    targets[FLEXIBLE_EMPLOYMENT] = current if until is None else min(until, current)
    return targets


def sweep(
    work: UnitOfWork,
    clock: ServiceClock,
    *,
    until: Period | None = None,
    policy: PolicyTables | None = None,
    batch: int = SWEEP_BATCH,
) -> SweepResult:
    """Add the payables that became due as the service clock moved (idempotent; safe to run anytime).

    Only enrolments whose `payables_through` lags behind today's target are looked at, in batches of
    `batch` (by id), one transaction each.
    """
    tables = policy or default_policy()
    today, now = clock.today(), clock.now()
    result = SweepResult()
    for scheme, target in sweep_targets(tables, today, until).items():
        after: uuid.UUID | None = None
        result.by_scheme[scheme] = 0
        while True:
            looked_at, after, created = _sweep_batch(
                work, scheme, target, after, policy=tables, today=today, now=now, batch=batch
            )
            if not looked_at:
                break
            result.enrolments += looked_at
            result.created += created
            result.by_scheme[scheme] += created
    return result


def _sweep_batch(
    work: UnitOfWork,
    scheme: str,
    target: Period,
    after: uuid.UUID | None,
    *,
    policy: PolicyTables,
    today: date,
    now: datetime,
    batch: int,
) -> tuple[int, uuid.UUID | None, int]:
    """One batch in one transaction: (enrolments looked at, the last one's id, payables created).
    A batch that lost a race to an import or another sweep is done again."""
    for attempt in range(1, _RETRIES + 1):
        try:
            with work.step() as step:
                session = step.session
                enrolments = EnrolmentRepository(session).behind(
                    scheme, str(target), after=after, limit=batch
                )
                existing = PayableRepository(session).for_enrolments([e.id for e in enrolments])
                created = 0
                for enrolment in enrolments:
                    created += sync_enrolment(
                        session,
                        enrolment,
                        existing.get(enrolment.id, []),
                        policy=policy,
                        today=today,
                        now=now,
                        recompute=False,
                        until=target if scheme == FLEXIBLE_EMPLOYMENT else None,
                    ).created
            last = enrolments[-1].id if enrolments else after
            return len(enrolments), last, created
        except IntegrityError:
            log.warning("payables_sweep_conflict", scheme=scheme, attempt=attempt)
            if attempt == _RETRIES:
                raise
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Amounts:
    base_amount_fen: int
    late_fee_fen: int

    @property
    def amount_fen(self) -> int:
        return self.base_amount_fen + self.late_fee_fen


def amounts_today(payable: Payable, policy: PolicyTables, today: date) -> Amounts:
    """The amount due as of today: the contribution plus the late fee accrued to today.

    The late fee of a payable runs until it is declared; the declaration fixes both figures (the
    declarations domain then answers a declared or paid payable's amount from the declaration).
    """
    period = Period.parse(payable.period_start)
    late = late_fee_fen(policy, payable.scheme, period, payable.base_amount_fen, today)
    return Amounts(payable.base_amount_fen, late)


@dataclass
class Listing:
    """A person's payables with their amounts as of `today`, and the offices they name."""

    today: date
    items: list[tuple[Payable, Amounts]]
    tax_offices: dict[str, TaxOffice]
    agencies: dict[str, Agency]
    to_declare_total_fen: int = 0  # of the whole list, every page of it
    next_cursor: str | None = None


def list_payables(
    session: Session,
    person_id: uuid.UUID,
    *,
    today: date,
    scheme: str | None = None,
    status: str | None = None,
    policy: PolicyTables | None = None,
    page: PageRequest | None = None,
) -> Listing:
    """One page of a person's payables (all of them without `page`) with the total to declare of the
    whole list: what the payer still has to declare does not depend on how the list is paged."""
    tables = policy or default_policy()
    repository = PayableRepository(session)
    payables, next_cursor = repository.for_person(person_id, scheme=scheme, status=status, page=page)
    items = [(payable, amounts_today(payable, tables, today)) for payable in payables]
    if next_cursor is None and (page is None or page.after is None):  # the page is the whole list
        to_declare = [amounts for payable, amounts in items if payable.status == TO_DECLARE]
    elif status and status != TO_DECLARE:
        to_declare = []
    else:
        unpaid = repository.to_declare(person_id, scheme=scheme)
        to_declare = [amounts_today(payable, tables, today) for payable in unpaid]
    return Listing(
        today=today,
        items=items,
        tax_offices=repository.tax_offices({payable.tax_office_code for payable in payables}),
        agencies=repository.agencies({payable.agency_code for payable in payables}),
        to_declare_total_fen=sum(amounts.amount_fen for amounts in to_declare),
        next_cursor=next_cursor,
    )
