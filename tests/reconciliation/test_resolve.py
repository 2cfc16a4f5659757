"""Resolving a reconciliation difference: once, with a reason, audited; a second time is a 409."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.reconciliation.models import ReconciliationIssue
from shebao.reconciliation.repository import ReconciliationRepository
from shebao.reconciliation.resolve import IssueAlreadyResolved, IssueNotFound, ReasonMissing, resolve
from shebao.runtime import Runtime
from tests.support.ops import add_issue
from tests.support.people import transaction

NOW = datetime(2025, 11, 21, 3, 0, tzinfo=UTC)
OPERATOR = Actor(type="operator", id="wang.op", channel="console")


def test_a_difference_is_resolved_once_with_its_reason_and_audit_row(runtime: Runtime) -> None:
    issue_id = add_issue(runtime)
    with transaction(runtime) as s:
        resolve(s, issue_id, "  已与支付宝核实，退回缴费人  ", actor=OPERATOR, now=NOW)
    with runtime.db.session() as s:
        issue = s.get(ReconciliationIssue, issue_id)
        assert issue is not None
        assert (issue.status, issue.status_label, issue.resolved_by, issue.resolution) == (
            "resolved",
            "已处理",
            "wang.op",
            "已与支付宝核实，退回缴费人",
        )
        assert issue.resolved_at == NOW
        rows = s.scalars(select(AuditEntry).where(AuditEntry.object_id == str(issue_id))).all()
        assert [(r.action, r.actor_type, r.actor_id, r.channel, r.before, r.after) for r in rows] == [
            (
                "reconciliation_issue.resolved",
                "operator",
                "wang.op",
                "console",
                {"status": "open"},
                {"status": "resolved", "reason": "已与支付宝核实，退回缴费人"},
            )
        ]
    with pytest.raises(IssueAlreadyResolved), transaction(runtime) as s:
        resolve(s, issue_id, "再次处理", actor=OPERATOR, now=NOW)
    with runtime.db.session() as s:
        again = s.get(ReconciliationIssue, issue_id)
        assert again is not None and again.resolution == "已与支付宝核实，退回缴费人"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_resolution_without_a_reason_is_refused_and_changes_nothing(
    runtime: Runtime, reason: str | None
) -> None:
    issue_id = add_issue(runtime)
    with pytest.raises(ReasonMissing) as refused, transaction(runtime) as s:
        resolve(s, issue_id, reason, actor=OPERATOR, now=NOW)
    assert (refused.value.status_code, refused.value.fields) == (422, {"reason": "请填写处理说明"})
    with runtime.db.session() as s:
        issue = s.get(ReconciliationIssue, issue_id)
        assert issue is not None and (issue.status, issue.resolution) == ("open", None)


def test_an_unknown_difference_is_a_404(runtime: Runtime) -> None:
    with pytest.raises(IssueNotFound) as missing, transaction(runtime) as s:
        resolve(s, uuid.uuid4(), "原因", actor=OPERATOR, now=NOW)
    assert (missing.value.status_code, missing.value.detail) == (404, "未找到该对账差异")


def test_the_lists_filter_by_status_newest_day_first(runtime: Runtime) -> None:
    first = add_issue(runtime, out_trade_no="T1")
    second = add_issue(runtime, out_trade_no="T2")
    with transaction(runtime) as s:
        resolve(s, first, "已核实", actor=OPERATOR, now=NOW)
    with runtime.db.session() as s:
        repository = ReconciliationRepository(s)
        open_ones, _ = repository.issues(None, status="open")
        resolved, _ = repository.issues(None, status="resolved")
        everything, _ = repository.issues(None)
    assert [i.id for i in open_ones] == [second]
    assert [i.id for i in resolved] == [first]
    assert [i.id for i in everything] == [second, first]  # same day: the later id first


@pytest.mark.postgres_only
def test_operators_resolving_at_once_resolve_it_once(runtime: Runtime) -> None:
    """Ten operators resolve the same difference at the same moment: one succeeds, nine meet a 409."""
    issue_id = add_issue(runtime)
    count = 10
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        barrier.wait(timeout=20)
        actor = Actor(type="operator", id=f"op{n}", channel="console")
        try:
            with transaction(runtime) as s:
                resolve(s, issue_id, f"处理{n}", actor=actor, now=NOW)
            outcome = "resolved"
        except IssueAlreadyResolved:
            outcome = "409"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["409"] * (count - 1) + ["resolved"]
    with runtime.db.session() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.object_id == str(issue_id))).all()
        assert len(rows) == 1
