"""Which payables a run deducts, and the attempts it plans for them (set-based, a chunk of settings each).

A payable is deducted by the active setting that covers its fee year, when the setting's agreement is
active on the run date, the payable is unpaid and its collection window is open on that date. A
payable the payer declared themselves is left to the payer; a payable declared by an earlier failed
attempt is tried again by a later day's run (a new attempt, the same declaration while it may be paid).
Each planned attempt is declared and its payment created in the same step (settlement.batch), and
put in its bank's batch of the run at once (a batch `planning` until the run prepares it): no second
pass over the items writes their batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from shebao.agreements.models import ACTIVE as AGREEMENT_ACTIVE
from shebao.agreements.models import PENDING as AGREEMENT_PENDING
from shebao.agreements.models import Agreement
from shebao.db import bulk_update, insert_rows
from shebao.deductions.models import (
    ACTIVE,
    BATCH_PLANNING,
    CANCELLED,
    FAILED,
    PLANNED,
    ContributionSetting,
    Deduction,
    DeductionBatch,
)
from shebao.enrolment.terms import RESIDENT_MEDICAL, RESIDENT_PENSION
from shebao.kit.ids import new_id, random_digits
from shebao.payables import models as payable_status
from shebao.payables.models import Payable
from shebao.payments.models import Payment
from shebao.policy.tables import PolicyTables, default_policy
from shebao.runtime import Runtime
from shebao.settlement import batch as settlement

CHUNK = 5000
NAMESPACE = uuid.UUID("6f1c2a52-4d0b-4c51-9d0c-6b8a61f0a8e1")


def deduction_no(setting_id: uuid.UUID, payable_id: uuid.UUID) -> str:
    """Stable per (setting, payable): the same number whatever run plans it."""
    return "KK" + uuid.uuid5(NAMESPACE, f"{setting_id}:{payable_id}").hex[:24].upper()


def item_id(number: str, attempt: int) -> str:
    return f"{number}{attempt:02d}"


def new_batch(
    session: Session, run_id: uuid.UUID, day: date, bank_code: str, now: datetime
) -> DeductionBatch:
    """A batch of the run for one bank, `planning`: items are put in it as they are planned."""
    batch = DeductionBatch(
        batch_no="PK" + day.strftime("%Y%m%d") + bank_code[:3].zfill(3) + random_digits(8),
        run_id=run_id,
        run_date=day,
        bank_code=bank_code,
        status=BATCH_PLANNING,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    return batch


def _batches(
    session: Session, run_id: uuid.UUID, day: date, banks: set[str], now: datetime
) -> dict[str, uuid.UUID]:
    """The run's planning batch of each of these banks (made on first need)."""
    found = {
        bank_code: batch_id
        for bank_code, batch_id in session.execute(
            select(DeductionBatch.bank_code, DeductionBatch.id).where(
                DeductionBatch.run_id == run_id, DeductionBatch.status == BATCH_PLANNING
            )
        )
    }
    for bank_code in sorted(banks - set(found)):
        found[bank_code] = new_batch(session, run_id, day, bank_code, now).id
    return found


@dataclass(frozen=True)
class OpenYear:
    scheme: str
    fee_year: int
    closes: date  # the window's last day: the batch declaration's payment deadline


def open_years(policy: PolicyTables, day: date) -> dict[str, OpenYear]:
    """Per period start (`YYYY-01`), the fee year of each resident scheme whose window is open on `day`."""
    found: dict[str, OpenYear] = {}
    for scheme, windows in (
        (RESIDENT_PENSION, policy.pension_windows),
        (RESIDENT_MEDICAL, policy.medical_windows),
    ):
        for window in windows:
            if window.opens <= day <= window.closes:
                found[f"{scheme}:{window.fee_year}-01"] = OpenYear(scheme, window.fee_year, window.closes)
    return found


def _agreement_usable(day: date) -> Any:
    return or_(
        Agreement.status == AGREEMENT_ACTIVE,
        and_(Agreement.status == AGREEMENT_PENDING, Agreement.effective_from <= day),
    )


def _candidates(
    session: Session, first: uuid.UUID | None, last: uuid.UUID, day: date, periods: list[str]
) -> list[Any]:
    done = exists(
        select(Deduction.id).where(
            Deduction.setting_id == ContributionSetting.id,
            Deduction.payable_id == Payable.id,
            or_(Deduction.status != FAILED, Deduction.run_date >= day),
        )
    )
    query = (
        select(
            ContributionSetting.id,
            ContributionSetting.payer_id,
            ContributionSetting.person_id,
            ContributionSetting.agreement_id,
            ContributionSetting.annual_amount_fen,
            ContributionSetting.scheme,
            ContributionSetting.valid_from,
            ContributionSetting.valid_to,
            Agreement.bank_code,
            Payable.id,
            Payable.period_start,
            Payable.base_amount_fen,
            Payable.status,
            Payable.declaration_id,
        )
        .join(Agreement, Agreement.id == ContributionSetting.agreement_id)
        .join(
            Payable,
            and_(
                Payable.person_id == ContributionSetting.person_id,
                Payable.scheme == ContributionSetting.scheme,
                Payable.tax_office_code == Agreement.tax_office_code,
            ),
        )
        .where(
            ContributionSetting.status == ACTIVE,
            ContributionSetting.id <= last,
            _agreement_usable(day),
            Payable.status.in_((payable_status.TO_DECLARE, payable_status.DECLARED)),
            Payable.period_start.in_(periods),
            ~done,
        )
        .order_by(ContributionSetting.id, Payable.id)
    )
    if first is not None:
        query = query.where(ContributionSetting.id > first)
    return list(session.execute(query))


def _earlier(session: Session, setting_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, uuid.UUID], Any]:
    """The latest earlier attempt per (setting, payable) of these settings (rows, not objects)."""
    latest: dict[tuple[uuid.UUID, uuid.UUID], Any] = {}
    query = (
        select(
            Deduction.setting_id,
            Deduction.payable_id,
            Deduction.attempt,
            Deduction.declaration_id,
            Deduction.amount_fen,
        )
        .where(Deduction.setting_id.in_(setting_ids))
        .order_by(Deduction.attempt)
    )
    for found in session.execute(query):
        latest[(found.setting_id, found.payable_id)] = found
    return latest


def plan(
    runtime: Runtime,
    run_id: uuid.UUID,
    day: date,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Plan, declare and open every deduction due on `day`; answers how many were planned."""
    years = open_years(default_policy(), day)
    periods = sorted({key.split(":", 1)[1] for key in years})
    if not periods:
        return 0
    work = runtime.work()
    after: uuid.UUID | None = None
    planned = 0
    while True:
        with work.read() as session:
            query = select(ContributionSetting.id).where(ContributionSetting.status == ACTIVE)
            if after is not None:
                query = query.where(ContributionSetting.id > after)
            ids = list(session.scalars(query.order_by(ContributionSetting.id).limit(CHUNK)))
        if not ids:
            return planned
        with work.step() as step:
            planned += _plan_chunk(step.session, run_id, day, after, ids[-1], years, periods, step.now)
        after = ids[-1]
        if progress is not None:
            progress(len(ids))


def _plan_chunk(
    session: Session,
    run_id: uuid.UUID,
    day: date,
    first: uuid.UUID | None,
    last: uuid.UUID,
    years: dict[str, OpenYear],
    periods: list[str],
    now: datetime,
) -> int:
    found = _candidates(session, first, last, day, periods)
    if not found:
        return 0
    earlier = _earlier(session, sorted({row[0] for row in found}))
    rows: list[dict[str, Any]] = []
    for (
        setting_id,
        payer_id,
        person_id,
        agreement_id,
        chosen_fen,
        scheme,
        valid_from,
        valid_to,
        bank_code,
        payable_id,
        period_start,
        base_fen,
        status,
        declaration_id,
    ) in found:
        year = years.get(f"{scheme}:{period_start}")
        if year is None or not valid_from <= year.fee_year <= valid_to:
            continue
        before = earlier.get((setting_id, payable_id))
        if status == payable_status.DECLARED:
            # Only the declaration an earlier attempt made: one the payer made is the payer's to pay.
            if before is None or before.declaration_id != declaration_id:
                continue
            new_declaration, amount = False, before.amount_fen
            declaration = before.declaration_id
        else:
            new_declaration = True
            amount = chosen_fen if scheme == RESIDENT_PENSION and chosen_fen else base_fen
            declaration = new_id()
        attempt = before.attempt + 1 if before is not None else 1
        number = deduction_no(setting_id, payable_id)
        rows.append(
            {
                "id": new_id(),
                "deduction_no": number,
                "item_id": item_id(number, attempt),
                "attempt": attempt,
                "setting_id": setting_id,
                "payable_id": payable_id,
                "person_id": person_id,
                "payer_id": payer_id,
                "agreement_id": agreement_id,
                "bank_code": bank_code,
                "scheme": scheme,
                "fee_year": year.fee_year,
                "amount_fen": amount,
                "deadline": year.closes,
                "run_date": day,
                "run_id": run_id,
                "batch_id": None,  # its bank's batch, below
                "status": PLANNED,
                "declaration_id": declaration,
                "declaration_item_id": new_id(),
                "new_declaration": new_declaration,
                "payment_id": new_id(),
                "created_at": now,
                "updated_at": now,
            }
        )
    if not rows:
        return 0
    batches = _batches(session, run_id, day, {row["bank_code"] for row in rows}, now)
    for row in rows:
        row["batch_id"] = batches[row["bank_code"]]
    insert_rows(session, Deduction, rows)
    mine = and_(Deduction.run_id == run_id, Deduction.created_at == now)
    source = (
        select(
            Deduction.declaration_id,
            Deduction.declaration_item_id,
            Deduction.payment_id,
            Deduction.item_id,
            Deduction.payable_id,
            Deduction.person_id,
            Deduction.payer_id,
            Deduction.amount_fen,
            Deduction.deadline,
            Deduction.run_date.label("deadline_floor"),
            Deduction.new_declaration,
        )
        .where(mine)
        .subquery()
    )
    settlement.declare_and_open(session, source, now)
    # An attempt whose payment could not be opened (the payable changed meanwhile) deducts nothing.
    session.execute(
        bulk_update(Deduction)
        .where(mine, ~exists(select(Payment.id).where(Payment.id == Deduction.payment_id)))
        .values(
            status=CANCELLED, batch_id=None, failure_reason="应缴费信息已变化，本次不扣款", updated_at=now
        )
    )
    return len(rows)
