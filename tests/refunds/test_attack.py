"""Refunds under attack, over real HTTP and parallel connections.

- The same refund notification delivered many times at once applies once: one state change, its audit
  rows once, one inbox row, the refund succeeded and nothing else changed. WeChat Pay (REFUND.SUCCESS)
  and UnionPay (退货) notify; Alipay and the bank answer a refund within the call, so what they send
  (Alipay's trade_status_sync of the refunded trade, anything posted to their refund-notify) changes
  nothing, however often and however many at once.
- A process killed (SIGKILL) while its refund call is in flight, the provider having acted or not,
  then the worker's `refunds.retry`: exactly one refund at the provider, and our refund agrees with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.channels.alipay import fields, keys, signing
from shebao.payments.models import ChannelEvent, Payment
from shebao.payments.refunds import Refund
from shebao.refunds import service
from shebao.runtime import Runtime
from shebao.sandbox.alipay import notifier as alipay_notifier
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.refunds import find
from shebao.sandbox.unionpay import notifier as unionpay_notifier
from shebao.sandbox.wechat import notifier as wechat_notifier
from tests.support.agreements import ZHANG_CARD, balance, ledger
from tests.support.config import TEST_SECRET
from tests.support.payments import move_clock
from tests.support.providers import routed_to
from tests.support.refunds import (
    AGREEMENT_START_FEN,
    BOB,
    duplicate_by,
    duplicate_by_agreement,
    everywhere,
    propose,
    refund_of,
)
from tests.support.serving import served

PAID = 79500
COPIES = 8
# The sandboxes' refund notifications: (their refund model, how one is built and signed).
NOTIFYING = {"wechat": wechat_notifier.EVENTS[1], "unionpay": unionpay_notifier.EVENTS[1]}


def _duplicate(
    client: TestClient, world: Any, runtime: Runtime, method: str
) -> tuple[dict[str, Any], Refund]:
    late = (
        duplicate_by_agreement(client, world, runtime)
        if method == "agreement"
        else duplicate_by(client, runtime, world.zhang_headers, method)
    )
    refund = refund_of(runtime, late["id"])
    propose(runtime, refund.id)
    return late, refund


def _state(runtime: Runtime) -> dict[str, Any]:
    """Everything a refund notification could change: payments, refunds, the audit log, the inbox."""
    with runtime.db.session() as s:
        return {
            "payments": sorted(
                s.execute(
                    select(Payment.id, Payment.status, Payment.refund_status, Payment.duplicate)
                ).tuples()
            ),
            "refunds": sorted(
                s.execute(
                    select(Refund.id, Refund.status, Refund.out_refund_no, Refund.amount_fen, Refund.answer)
                ).tuples(),
                key=str,
            ),
            "audit": sorted(
                s.execute(select(AuditEntry.action, AuditEntry.object_type, AuditEntry.object_id)).tuples()
            ),
            "inbox": sorted(
                s.execute(select(ChannelEvent.channel, ChannelEvent.event_id, ChannelEvent.outcome)).tuples(),
                key=str,
            ),
        }


def _added(before: list[Any], after: list[Any]) -> list[Any]:
    remaining = list(after)
    for row in before:
        remaining.remove(row)
    return remaining


def _at_once(url: str, body: bytes, headers: dict[str, str], copies: int = COPIES) -> list[tuple[int, str]]:
    """`copies` posts of the same body, released together, each on a connection of its own."""
    barrier = threading.Barrier(copies)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def deliver() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait(timeout=20)
            answer = http.post(url, content=body, headers=headers)
        with lock:
            answers.append((answer.status_code, answer.text))

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(answers)


@pytest.mark.postgres_only
@pytest.mark.parametrize("method", ["wechat", "unionpay"])
def test_a_refund_notification_delivered_many_times_at_once_applies_once(
    client, app, world, runtime, method: str
) -> None:  # type: ignore[no-untyped-def]
    with routed_to(app):
        late, refund = _duplicate(client, world, runtime, method)
        client.post(f"/sandbox/{method}/refunds/faults", json={"later": True})
        assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "sending"
        # The provider completes the refund; its own delivery is lost, the copies below are all there is.
        completing = f"/sandbox/{method}/refunds/{refund.out_refund_no}/complete"
        done = client.post(completing, json={"notify": False})
        assert done.status_code == 200, done.text
    model, build = NOTIFYING[method]
    with runtime.db.session() as s:
        outgoing = build(runtime, find(s, model, refund.out_refund_no), runtime.clock.now())
    before = _state(runtime)

    with served(app) as base:
        answers = _at_once(base + urlsplit(outgoing.url).path, outgoing.body, outgoing.headers)

    acknowledged = {"wechat": 204, "unionpay": 200}[method]  # WeChat Pay v3: 204 No Content
    assert [status for status, _ in answers] == [acknowledged] * COPIES, answers
    after = _state(runtime)
    assert _added(before["audit"], after["audit"]) == sorted(
        [("payment.refunded", "payment", late["id"]), ("refund.succeeded", "refund", str(refund.id))]
    )
    assert [row[:2] for row in _added(before["inbox"], after["inbox"])] == [
        (f"{method}.refund", row[1]) for row in after["inbox"] if row[0] == f"{method}.refund"
    ]
    assert [(row[0], row[2]) for row in after["inbox"] if row[0] == f"{method}.refund"] == [
        (f"{method}.refund", "applied")
    ]
    changed = set(after["payments"]) - set(before["payments"])
    assert (changed, len(after["payments"])) == (
        {(uuid.UUID(late["id"]), "succeeded", "refunded", True)},
        len(before["payments"]),
    )
    done_refund = refund_of(runtime, late["id"])
    assert (done_refund.status, done_refund.amount_fen, done_refund.send_attempts) == ("succeeded", PAID, 1)
    shown = client.get(f"/sandbox/{method}/trades/{late['out_trade_no']}/refunds").json()
    assert (shown["refunded_fen"], len(shown["items"])) == (PAID, 1)


def _alipay_refunded_trade_notification(runtime: Runtime, out_trade_no: str, out_refund_no: str) -> bytes:
    """What Alipay sends the payment's notify_url once a trade is refunded in full: trade_status_sync,
    TRADE_CLOSED, with the refund's request id (out_biz_no), refund_fee and gmt_refund; signed."""
    with runtime.db.session() as s:
        query = select(SandboxAlipayTrade).where(SandboxAlipayTrade.out_trade_no == out_trade_no)
        trade = s.scalars(query).one()
        key = keys.sandbox_private_key(runtime.settings)
        params = alipay_notifier.notification_params(trade, key, runtime.clock.now())
    now = fields.format_time(runtime.clock.now())
    params = {name: value for name, value in params.items() if name != "sign"} | {
        "notify_id": uuid.uuid4().hex,
        "trade_status": fields.TRADE_CLOSED,
        "out_biz_no": out_refund_no,
        "refund_fee": fields.yuan(PAID),
        "gmt_refund": now,
        "gmt_close": now,
    }
    return urlencode(signing.signed(params, key, unsigned=signing.NOTIFICATION_UNSIGNED)).encode("ascii")


@pytest.mark.postgres_only
@pytest.mark.parametrize("method", ["alipay", "agreement"])
def test_what_a_provider_that_answers_at_once_sends_changes_nothing_however_often(
    client, app, world, runtime, method: str
) -> None:  # type: ignore[no-untyped-def]
    with routed_to(app):
        late, refund = _duplicate(client, world, runtime, method)
        assert service.approve(runtime, refund.id, actor=BOB, sees=everywhere).status == "succeeded"
    before = _state(runtime)
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

    with served(app) as base:
        refused = _at_once(
            f"{base}/api/v1/channels/{method}/refund-notify",
            f"notify_id=1&out_request_no={refund.out_refund_no}&refund_status=REFUND_SUCCESS".encode(),
            form,
        )
        if method == "alipay":
            body = _alipay_refunded_trade_notification(runtime, late["out_trade_no"], refund.out_refund_no)
            taken = _at_once(f"{base}/api/v1/channels/alipay/notify", body, form)
            assert taken == [(200, "success")] * COPIES

    assert refused == [(400, "invalid notification")] * COPIES
    after = _state(runtime)
    assert {name: rows for name, rows in after.items() if name != "inbox"} == {
        name: rows for name, rows in before.items() if name != "inbox"
    }
    stored = _added(before["inbox"], after["inbox"])
    assert len(stored) == (1 if method == "alipay" else 0), stored  # Alipay's notice, stored once


# --- kill -9 mid send ------------------------------------------------------------------------------

# The approving process as a console request runs it: every model and registration loaded, the service
# clock followed; it approves and sends, and says so when the provider's answer is in.
APPROVE_IN_A_PROCESS = """
import sys, uuid
import shebao.models, shebao.registrations
from shebao.audit.service import Actor
from shebao.commands import build_runtime
from shebao.refunds import service
bob = Actor("operator", "bob", "console")
service.approve(build_runtime(), uuid.UUID(sys.argv[1]), actor=bob, sees=lambda _: True)
print("answered")
"""


class Gate:
    """Wraps the app: the first request whose body names `marker` (the refund request id, whatever the
    provider's format) is held until `released`; then the provider acts on it (`acts`) or it is lost
    before reaching the provider. Either way its answer goes to whoever is still listening."""

    def __init__(self, app: Any, marker: str, *, acts: bool) -> None:
        self.app, self.marker, self.acts = app, marker.encode(), acts
        self.arrived, self.released = threading.Event(), threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.arrived.is_set() or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages, body, more = [], b"", True
        while more:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        replay = iter(messages)

        async def again() -> Any:
            return next(replay, None) or await receive()

        if self.marker not in body:
            await self.app(scope, again, send)
            return
        self.arrived.set()
        await anyio.to_thread.run_sync(self.released.wait)
        if not self.acts:
            return  # lost on the way: the provider never saw it

        async def into_the_void(message: Any) -> None:
            try:
                await send(message)
            except Exception:  # noqa: BLE001, S110 - the caller is dead; the provider acted all the same
                pass

        await self.app(scope, again, into_the_void)


def _environment(runtime: Runtime, base: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SHEBAO_ENV": "test",
        "SHEBAO_DATABASE_URL": runtime.settings.sqlalchemy_url,
        "SHEBAO_DATA_DIR": str(runtime.settings.data_dir),
        "SHEBAO_SECRET_KEY": TEST_SECRET,
        "SHEBAO_BASE_URL": base,
    }
    env.pop("SHEBAO_CLOCK", None)
    return env


def _provider_ledger(client: TestClient, method: str, out_trade_no: str) -> tuple[int, list[tuple[str, int]]]:
    """What the provider refunded of the trade: its total and each refund (request id, amount)."""
    if method == "agreement":
        entries = [e for e in ledger(client, ZHANG_CARD) if e["refund_of"] and e["result_code"] == "0000"]
        refunded = balance(client, ZHANG_CARD) - (AGREEMENT_START_FEN - PAID)
        return refunded, [(e["msg_id"], e["amount_fen"]) for e in entries]
    shown = client.get(f"/sandbox/{method}/trades/{out_trade_no}/refunds").json()
    named = "out_request_no" if method == "alipay" else "out_refund_no"  # Alipay's name of the request id
    return shown["refunded_fen"], [(r[named], r["amount_fen"]) for r in shown["items"]]


def _settled(runtime: Runtime, payment_id: str) -> str:
    """The refund's status once it is no longer `sending` (or after 15 seconds)."""
    deadline = time.monotonic() + 15
    while (status := refund_of(runtime, payment_id).status) == "sending" and time.monotonic() < deadline:
        time.sleep(0.1)
    return status


@pytest.mark.parametrize("acts", [True, False], ids=["provider-acted", "request-lost"])
@pytest.mark.parametrize("method", ["alipay", "wechat", "unionpay", "agreement"])
def test_a_process_killed_mid_refund_send_ends_with_one_refund_at_the_provider(
    client, app, world, runtime, method: str, acts: bool
) -> None:  # type: ignore[no-untyped-def]
    with routed_to(app):
        late, refund = _duplicate(client, world, runtime, method)
    gate = Gate(app, refund.out_refund_no, acts=acts)
    with served(gate) as base:
        runtime.settings = runtime.db.settings = runtime.settings.model_copy(update={"base_url": base})
        runtime.adapters.clear()
        process = subprocess.Popen(
            [sys.executable, "-c", APPROVE_IN_A_PROCESS, str(refund.id)],
            env=_environment(runtime, base),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert gate.arrived.wait(timeout=60), process.communicate(timeout=5)
            process.send_signal(signal.SIGKILL)
            out, _ = process.communicate(timeout=10)
        finally:
            gate.released.set()
        assert (process.returncode, out) == (-signal.SIGKILL, b"")
        if acts and method in NOTIFYING:
            # The provider made the refund and notifies it: its notification finishes ours, no retry needed.
            assert _settled(runtime, late["id"]) == "succeeded"
        else:
            time.sleep(0.5)  # the held request ends (the provider acting, or not) before anyone looks
            killed = refund_of(runtime, late["id"])
            assert (killed.status, killed.send_attempts, killed.answer) == ("sending", 1, None)
        move_clock(runtime, timedelta(minutes=2))  # past the approval's in-flight minute
        service.retry_due(runtime)  # the worker's refunds.retry: the same request id again, or nothing due
        _settled(runtime, late["id"])

    done = refund_of(runtime, late["id"])
    assert (done.status, done.out_refund_no, done.amount_fen) == ("succeeded", refund.out_refund_no, PAID)
    assert _provider_ledger(client, method, late["out_trade_no"]) == (PAID, [(refund.out_refund_no, PAID)])
    with runtime.db.session() as s:
        actions = sorted(
            s.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(refund.id))).all()
        )
        payment = s.get(Payment, uuid.UUID(late["id"]))
        assert payment is not None
        assert (payment.status, payment.refund_status) == ("succeeded", "refunded")
    assert actions == ["refund.opened", "refund.proposed", "refund.sending", "refund.succeeded"]
