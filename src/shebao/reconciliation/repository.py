"""The queries of reconciliation's runs and differences (the console's lists and the one lock)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.kit.pagination import PageRequest, desc, fetch_scalars
from shebao.reconciliation.models import ReconciliationIssue, StatementRun


class ReconciliationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def runs(
        self, page: PageRequest | None, *, channel: str | None = None, day: date | None = None
    ) -> tuple[list[StatementRun], str | None]:
        """Statements processed, newest first."""
        query = select(StatementRun)
        if channel:
            query = query.where(StatementRun.channel == channel)
        if day:
            query = query.where(StatementRun.bill_date == day)
        keys = [desc(StatementRun.ran_at), desc(StatementRun.id)]
        return fetch_scalars(self.session, query, keys, page)

    def run(self, run_id: uuid.UUID) -> StatementRun | None:
        return self.session.get(StatementRun, run_id)

    def issues(
        self,
        page: PageRequest | None,
        *,
        status: str | None = None,
        channel: str | None = None,
        day: date | None = None,
    ) -> tuple[list[ReconciliationIssue], str | None]:
        """Differences, the latest day first."""
        query = select(ReconciliationIssue)
        if status:
            query = query.where(ReconciliationIssue.status == status)
        if channel:
            query = query.where(ReconciliationIssue.channel == channel)
        if day:
            query = query.where(ReconciliationIssue.bill_date == day)
        keys = [desc(ReconciliationIssue.bill_date), desc(ReconciliationIssue.id)]
        return fetch_scalars(self.session, query, keys, page)

    def issue(self, issue_id: uuid.UUID) -> ReconciliationIssue | None:
        return self.session.get(ReconciliationIssue, issue_id)

    def issue_for_update(self, issue_id: uuid.UUID) -> ReconciliationIssue | None:
        """The one lock of a difference: two operators resolving it at once resolve it once."""
        query = select(ReconciliationIssue).where(ReconciliationIssue.id == issue_id).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()
