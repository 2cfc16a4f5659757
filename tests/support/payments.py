"""Declaring and paying through the API, reading the rows back, moving the service clock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from shebao.declarations.models import Declaration
from shebao.payments.models import Payment
from shebao.runtime import Runtime
from tests.support.people import transaction
from tests.support.world import payable_ids


def declare(client, headers, scheme: str = "resident_medical", payer_id: str | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    ids = payable_ids(client, headers, scheme, payer_id=payer_id)
    body: dict[str, Any] = {"payable_ids": ids}
    if payer_id:
        body["payer_id"] = payer_id
    answer = client.post("/api/v1/declarations", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    declared: dict[str, Any] = answer.json()
    return declared


def open_payment(client, headers, declaration_id: str, **extra: Any):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/payments",
        json={"declaration_id": declaration_id, "method": "alipay"},
        headers={**headers, **extra},
    )


def load_payment(runtime, payment_id: str) -> Payment:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Payment, uuid.UUID(payment_id))
        assert found is not None
        return found


def load_declaration(runtime, declaration_id: str) -> Declaration:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        found = s.get(Declaration, uuid.UUID(declaration_id))
        assert found is not None
        return found


def open_payment_by(client, headers, declaration_id: str, method: str, **body: Any):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/payments", json={"declaration_id": declaration_id, "method": method, **body}, headers=headers
    )


def paid_by_alipay(
    client, headers, scheme: str = "resident_medical", payer_id: str | None = None
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    declared = declare(client, headers, scheme, payer_id=payer_id)
    body: dict[str, Any] = open_payment(client, headers, declared["id"]).json()
    assert client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay").status_code == 200
    return body


def move_clock(runtime: Runtime, by: timedelta) -> datetime:
    """Move the service clock forward (as POST /sandbox/clock does)."""
    with transaction(runtime) as session:
        return runtime.clock.move_to(session, runtime.clock.now() + by)
