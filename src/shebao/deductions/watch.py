"""Batch runs as the console watches them: the runs, a run's progress by outcome (items done of those it
planned), its batch files. An office's staff see the items of their office's settings only; a batch file
is one bank's, of every office, so only staff of all offices see the files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shebao.deductions.models import (
    CANCELLED,
    DEDUCTION_LABELS,
    FAILED,
    PLANNED,
    SENT,
    SUCCEEDED,
    ContributionSetting,
    Deduction,
    DeductionBatch,
    DeductionRun,
    shown_status,
)
from shebao.kit.pagination import PageRequest, desc, fetch_scalars

RUN_LABELS = {"running": "进行中", "completed": "已完成"}
OUTCOMES = (PLANNED, SENT, SUCCEEDED, FAILED, CANCELLED)
DONE = (SUCCEEDED, FAILED, CANCELLED)


@dataclass(frozen=True)
class Tally:
    status: str
    count: int
    amount_fen: int

    @property
    def label(self) -> str:
        return DEDUCTION_LABELS[self.status]


@dataclass(frozen=True)
class Progress:
    """What a run planned (its own items: late answers to earlier runs count for those runs)."""

    tallies: list[Tally]

    @property
    def total(self) -> int:
        return sum(t.count for t in self.tallies)

    @property
    def done(self) -> int:
        return sum(t.count for t in self.tallies if t.status in DONE)

    def of(self, status: str) -> Tally:
        return next(t for t in self.tallies if t.status == status)


class RunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def runs(
        self, page: PageRequest | None, *, day: date | None = None
    ) -> tuple[list[DeductionRun], str | None]:
        query = select(DeductionRun)
        if day is not None:
            query = query.where(DeductionRun.run_date == day)
        return fetch_scalars(
            self.session, query, [desc(DeductionRun.started_at), desc(DeductionRun.id)], page
        )

    def run(self, run_id: uuid.UUID) -> DeductionRun | None:
        return self.session.get(DeductionRun, run_id)

    def progress(self, run_ids: list[uuid.UUID], *, tax_office_code: str | None) -> dict[uuid.UUID, Progress]:
        """Each run's items by outcome (of every office, or of one office's settings)."""
        status = shown_status()
        query = (
            select(Deduction.run_id, status, func.count(), func.coalesce(func.sum(Deduction.amount_fen), 0))
            .outerjoin(DeductionBatch, DeductionBatch.id == Deduction.batch_id)
            .where(Deduction.run_id.in_(run_ids))
        )
        if tax_office_code is not None:
            query = query.join(ContributionSetting, ContributionSetting.id == Deduction.setting_id).where(
                ContributionSetting.tax_office_code == tax_office_code
            )
        found: dict[tuple[uuid.UUID, str], tuple[int, int]] = {
            (run_id, status): (int(count), int(amount))
            for run_id, status, count, amount in self.session.execute(
                query.group_by(Deduction.run_id, status)
            )
        }
        return {
            run_id: Progress([Tally(s, *found.get((run_id, s), (0, 0))) for s in OUTCOMES])
            for run_id in run_ids
        }

    def batches(self, run_id: uuid.UUID) -> list[DeductionBatch]:
        query = select(DeductionBatch).where(DeductionBatch.run_id == run_id)
        return list(self.session.scalars(query.order_by(DeductionBatch.bank_code, DeductionBatch.batch_no)))
