"""Recording an import run, the same way for the command line and the console."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.imports.models import KEPT_REJECTIONS, ImportRun
from shebao.kit.pagination import PageRequest, desc, fetch_scalars
from shebao.runtime import Runtime


class Outcome(Protocol):
    def counts(self) -> Mapping[str, int]:
        """Rows by outcome (imported, updated, applied, duplicate, unchanged, rejected)."""
        ...

    def rejections(self) -> Sequence[tuple[int, str]]:
        """(line, reason) of every rejected row, in file order."""
        ...


def record_run(
    runtime: Runtime, *, kind: str, file_name: str, actor: Actor, started_at: datetime, outcome: Outcome
) -> uuid.UUID:
    """Store the run and its audit row in one step of its own (the import's chunks are committed)."""
    counts = {status: int(count) for status, count in outcome.counts().items()}
    rejected = outcome.rejections()
    with runtime.work().step() as step:
        run = ImportRun(
            kind=kind,
            file_name=file_name[:200],
            actor_id=actor.id,
            channel=actor.channel,
            started_at=started_at,
            finished_at=step.now,
            rows=sum(counts.values()),
            rejected=len(rejected),
            counts=counts,
            rejections=[[line, reason] for line, reason in rejected[:KEPT_REJECTIONS]],
        )
        step.session.add(run)
        step.session.flush()
        record(
            step.session,
            actor=actor,
            action=f"import.{kind}",
            object_type="import_run",
            object_id=run.id,
            at=step.now,
            after={"file_name": run.file_name, "rows": run.rows, "rejected": run.rejected},
        )
        return run.id


OutcomeT = TypeVar("OutcomeT", bound=Outcome)


def run_recorded(
    runtime: Runtime, *, kind: str, file_name: str, actor: Actor, run: Callable[[], OutcomeT]
) -> tuple[OutcomeT, uuid.UUID]:
    """Run an import (as the command line runs it) and record what it did."""
    started_at = runtime.clock.now()
    outcome = run()
    run_id = record_run(
        runtime, kind=kind, file_name=file_name, actor=actor, started_at=started_at, outcome=outcome
    )
    return outcome, run_id


class ImportRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def runs(
        self, page: PageRequest | None, *, kind: str | None = None
    ) -> tuple[list[ImportRun], str | None]:
        query = select(ImportRun)
        if kind:
            query = query.where(ImportRun.kind == kind)
        return fetch_scalars(self.session, query, [desc(ImportRun.started_at), desc(ImportRun.id)], page)

    def run(self, run_id: uuid.UUID) -> ImportRun | None:
        return self.session.get(ImportRun, run_id)
