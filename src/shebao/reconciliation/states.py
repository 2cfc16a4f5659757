"""The reconciliation difference's state machine: open → resolved (by an operator, with a reason).
One table of allowed source states drives the transition, and the change writes its audit row."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.reconciliation.models import OPEN, RESOLVED, ReconciliationIssue

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    RESOLVED: frozenset({OPEN}),
}


class IllegalTransition(Exception):
    def __init__(self, issue: ReconciliationIssue, target: str) -> None:
        super().__init__(f"reconciliation issue {issue.id}: {issue.status} → {target} is not allowed")


def can_move(issue: ReconciliationIssue, target: str) -> bool:
    return issue.status in ALLOWED_FROM[target]


def move(
    session: Session, issue: ReconciliationIssue, target: str, *, actor: Actor, at: datetime, reason: str
) -> None:
    """Apply a transition with its audit row; a forbidden one raises (the service checks first)."""
    if not can_move(issue, target):
        raise IllegalTransition(issue, target)
    before = issue.status
    issue.status = target
    issue.resolved_at, issue.resolved_by, issue.resolution = at, actor.id, reason
    record(
        session,
        actor=actor,
        action=f"reconciliation_issue.{target}",
        object_type="reconciliation_issue",
        object_id=issue.id,
        at=at,
        before={"status": before},
        after={"status": target, "reason": reason},
    )
