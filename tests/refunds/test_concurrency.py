"""Two approvers approving one refund at the same moment (real parallel connections: PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.refunds import service
from shebao.refunds.errors import RefundConflict
from tests.support.refunds import ALICE, duplicate_by_alipay, everywhere, refund_of

pytestmark = pytest.mark.postgres_only


def test_concurrent_approvals_send_exactly_once(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    late = duplicate_by_alipay(client, runtime, world.zhang_headers)
    refund = refund_of(runtime, late["id"])
    with runtime.work().step() as step:
        service.propose(
            step.session,
            refund.id,
            reason="重复缴费",
            amount_fen=None,
            actor=ALICE,
            sees=everywhere,
            now=step.now,
        )
    approvers = [Actor("operator", f"approver{n}", "console") for n in range(4)]
    barrier = threading.Barrier(len(approvers))
    outcomes: list[Any] = []
    lock = threading.Lock()

    def approve(actor: Actor) -> None:
        barrier.wait(timeout=20)
        try:
            outcome: Any = service.approve(runtime, refund.id, actor=actor, sees=everywhere).status
        except RefundConflict as exc:
            outcome = exc.status_code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=approve, args=(actor,)) for actor in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes, key=str) == [409, 409, 409, "succeeded"]
    ledger = client.get(f"/sandbox/alipay/trades/{late['out_trade_no']}/refunds").json()
    assert (ledger["refunded_fen"], len(ledger["items"])) == (79500, 1)
    with runtime.db.session() as s:
        sent = s.scalar(
            select(func.count()).where(
                AuditEntry.action == "refund.sending", AuditEntry.object_id == str(refund.id)
            )
        )
    assert sent == 1
