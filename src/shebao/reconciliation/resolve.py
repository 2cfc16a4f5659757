"""Resolving a difference (对账差异处理): an operator says what was done about it, once.

Validate, then mutate: `check_can_resolve` raises, `do_resolve` moves the difference through its state
table with the audit row. The difference itself stays as the statement showed it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from shebao.audit.service import Actor
from shebao.errors import Conflict, NotFound, ValidationFailed
from shebao.reconciliation import states
from shebao.reconciliation.models import RESOLVED, ReconciliationIssue
from shebao.reconciliation.repository import ReconciliationRepository

REASON_MAX = 500


class IssueNotFound(NotFound):
    code = "reconciliation_issue_not_found"
    message = "未找到该对账差异"


class IssueAlreadyResolved(Conflict):
    code = "reconciliation_issue_resolved"
    message = "该对账差异已处理，不能重复处理"


class ReasonMissing(ValidationFailed):
    code = "resolution_reason_missing"
    message = "请填写处理说明"


def clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ReasonMissing(fields={"reason": "请填写处理说明"})
    if len(text) > REASON_MAX:
        message = f"处理说明不能超过{REASON_MAX}个字"
        raise ValidationFailed(message, fields={"reason": message})
    return text


def check_can_resolve(issue: ReconciliationIssue | None) -> ReconciliationIssue:
    if issue is None:
        raise IssueNotFound()
    if not states.can_move(issue, RESOLVED):
        raise IssueAlreadyResolved()
    return issue


def resolve(
    session: Session, issue_id: uuid.UUID, reason: str | None, *, actor: Actor, now: datetime
) -> ReconciliationIssue:
    """Resolve the difference under its lock; a second resolution (or a race lost) is a 409."""
    text = clean_reason(reason)
    issue = check_can_resolve(ReconciliationRepository(session).issue_for_update(issue_id))
    states.move(session, issue, RESOLVED, actor=actor, at=now, reason=text)
    return issue
