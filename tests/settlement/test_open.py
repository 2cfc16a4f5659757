"""Who may close whose payment, payments a crash left `created`, and every state change audited."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.payments.models import Payment
from shebao.payments.registry import adapter_for
from shebao.settlement.open import PaymentOpener, PaymentRequest
from shebao.settlement.query import settle_due
from tests.support.payments import declare, load_declaration, load_payment, move_clock, open_payment
from tests.support.people import transaction


class Crash(Exception):
    """The process dies between committing the payment and calling the provider."""


def _crash_before_the_provider_call(runtime, payer, declaration_id: str, monkeypatch) -> Payment:  # type: ignore[no-untyped-def]
    adapter = adapter_for("alipay", runtime)

    def crash(order):  # type: ignore[no-untyped-def]
        raise Crash()

    monkeypatch.setattr(adapter, "create", crash)
    request = PaymentRequest(declaration_id=uuid.UUID(declaration_id), method="alipay")
    with pytest.raises(Crash):
        PaymentOpener(runtime, payer, channel="h5").open(request)
    monkeypatch.undo()
    with runtime.db.session() as s:
        [left] = s.scalars(select(Payment)).all()
    return left


def test_a_payment_left_created_by_a_crash_is_settled_by_the_query_job(
    client, world, runtime, routed, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    left = _crash_before_the_provider_call(runtime, world.zhang, declared["id"], monkeypatch)
    assert left.status == "created"
    # While its provider call may still be running, neither the job nor a second payment touches it.
    assert settle_due(runtime) == 0
    second = open_payment(client, world.zhang_headers, declared["id"])
    assert second.status_code == 409 and second.json()["error"]["code"] == "payment_result_pending"
    move_clock(runtime, timedelta(seconds=61))
    assert settle_due(runtime) == 1
    assert load_payment(runtime, str(left.id)).status == "closed"  # the provider never saw the trade
    assert open_payment(client, world.zhang_headers, declared["id"]).status_code == 201


def test_a_created_payment_of_an_older_release_without_a_query_time_is_settled(
    client, world, runtime, routed, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    left = _crash_before_the_provider_call(runtime, world.zhang, declared["id"], monkeypatch)
    with transaction(runtime) as s:
        found = s.get(Payment, left.id)
        assert found is not None
        found.next_query_at = None
    assert settle_due(runtime) == 0
    move_clock(runtime, timedelta(seconds=61))
    assert settle_due(runtime) == 1
    assert load_payment(runtime, str(left.id)).status == "closed"


def test_every_status_change_of_a_payment_is_audited(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    body = open_payment(client, world.zhang_headers, declared["id"]).json()
    client.post(f"/sandbox/alipay/trades/{body['out_trade_no']}/pay")
    with runtime.db.session() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.object_id == body["id"]).order_by(AuditEntry.occurred_at)
        ).all()
    assert [(e.action, (e.before or {}).get("status"), (e.after or {}).get("status")) for e in entries] == [
        ("payment.created", None, "created"),
        ("payment.pending", "created", "pending"),
        ("payment.succeeded", "pending", "succeeded"),
    ]


def test_a_family_payer_pays_but_never_closes_the_declarers_payment_nor_voids(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    """Li Si declared for himself; Zhang San has Li Si as a family member and may pay what he owes."""
    declared = declare(client, world.li_headers)
    mine = open_payment(client, world.li_headers, declared["id"]).json()
    theirs = open_payment(client, world.zhang_headers, declared["id"])
    assert theirs.status_code == 409
    assert theirs.json()["error"] == {
        "code": "payment_open_by_another",
        "message": "该申报已有他人发起的缴费，缴费结果确认中，请稍后再试",
    }
    assert load_payment(runtime, mine["id"]).status == "pending"
    assert client.get(f"/sandbox/alipay/trades/{mine['out_trade_no']}").json()["status"] == "WAIT_BUYER_PAY"
    void = client.post(f"/api/v1/declarations/{declared['id']}/void", headers=world.zhang_headers)
    assert (
        void.status_code == 409 and void.json()["error"]["message"] == "只有申报人或参保人本人可以作废该申报"
    )
    assert load_payment(runtime, mine["id"]).status == "pending"
    assert load_declaration(runtime, declared["id"]).status == "succeeded"
    # Once Li Si's own payment is over, Zhang San may pay; then Li Si's new payment closes Zhang San's.
    assert client.post(f"/sandbox/alipay/trades/{mine['out_trade_no']}/cancel").status_code == 200
    assert load_payment(runtime, mine["id"]).status == "closed"
    paid_for = open_payment(client, world.zhang_headers, declared["id"])
    assert paid_for.status_code == 201 and paid_for.json()["for_other"] is True
    again = open_payment(client, world.li_headers, declared["id"])
    assert again.status_code == 201
    assert load_payment(runtime, paid_for.json()["id"]).status == "closed"


def test_the_insured_person_voids_what_a_family_payer_declared_for_them(
    client, world, runtime, routed
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers, payer_id=world.li_family_id)
    opened = open_payment(client, world.zhang_headers, declared["id"]).json()
    void = client.post(f"/api/v1/declarations/{declared['id']}/void", headers=world.li_headers)
    assert void.status_code == 200, void.text
    assert void.json()["status"] == "voided"
    assert load_payment(runtime, opened["id"]).status == "closed"


def test_every_connection_in_use_is_a_503_with_retry_after(
    client, world, runtime, routed, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    declared = declare(client, world.zhang_headers)
    pool = runtime.db.engine.pool
    monkeypatch.setattr(pool, "_timeout", 0.2)  # wait a moment, not the production 10 s
    held = []
    try:
        while pool.checkedout() < pool.size() + pool._max_overflow:  # type: ignore[attr-defined]
            held.append(runtime.db.engine.connect())
        answer = open_payment(client, world.zhang_headers, declared["id"])
    finally:
        for connection in held:
            connection.close()
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["error"]["message"] == "系统繁忙，请稍后再试"
    with runtime.db.session() as s:
        assert s.scalars(select(Payment)).all() == []
