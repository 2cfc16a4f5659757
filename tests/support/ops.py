"""Arrangements for the console's 对账, 批扣 and 导入 tests: a reconciliation difference, a CSRF token."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from shebao.reconciliation.models import ReconciliationIssue
from shebao.runtime import Runtime
from tests.support.people import transaction

FOUND = datetime(2025, 11, 21, 1, 7, tzinfo=UTC)


def add_issue(runtime: Runtime, *, out_trade_no: str = "T1", kind: str = "unknown_payment") -> uuid.UUID:
    with transaction(runtime) as s:
        issue = ReconciliationIssue(
            channel="alipay",
            bill_date=date(2025, 11, 20),
            kind=kind,
            out_trade_no=out_trade_no,
            provider_trade_no="2025112022001",
            statement_amount_fen=12_345,
            our_amount_fen=None,
            status="open",
            found_at=FOUND,
        )
        s.add(issue)
        s.flush()
        return issue.id


def csrf(client: TestClient) -> str:
    """The CSRF token a console form carries (the cookie set by any page)."""
    client.get("/console/login")
    token: str = client.cookies["shebao_csrf"]
    return token
