"""The simulated Alipay's asynchronous notifications (异步通知), in Alipay's fields and RSA2 signature.

A trade's current event is delivered by the worker and retried on Alipay's schedule until the merchant
answers exactly `success`. Retries are a sweep against the service clock, so moving the clock forward
has the same effect as waiting. Copies (`notify {"copies": N}`) are sent at once, in parallel, and change
nothing in the delivery state. No database lock is held while a notification is in flight: the
merchant's handler needs the database too.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao import jobs
from shebao.channels.alipay import fields, keys, signing
from shebao.db import UnitOfWork, after_commit
from shebao.kit import http
from shebao.logging import log
from shebao.runtime import Runtime
from shebao.sandbox import deliveries
from shebao.sandbox.alipay.models import NOTIFY_PENDING, SandboxAlipayTrade
from shebao.sandbox.alipay.trades import SELLER_ID

# Alipay retries 8 times within 25 hours: 4m, 10m, 10m, 1h, 2h, 6h, 15h after each failed try.
BACKOFF = (
    timedelta(minutes=4),
    timedelta(minutes=10),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
)
ACK = "success"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def notification_params(trade: SandboxAlipayTrade, key: rsa.RSAPrivateKey, now: datetime) -> dict[str, str]:
    """The signed form of the trade's current event, as Alipay sends it at `now`."""
    amount = fields.yuan(trade.amount_fen)
    params = {
        "notify_time": fields.format_time(now),
        "notify_type": "trade_status_sync",
        "notify_id": trade.notify_id or "",
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": signing.SIGN_TYPE,
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "seller_id": SELLER_ID,
        "buyer_id": trade.buyer_id or "",
        "trade_status": trade.status,
        "total_amount": amount,
        "subject": trade.subject,
        "gmt_create": fields.format_time(trade.created_at),
    }
    if trade.status == fields.TRADE_SUCCESS and trade.paid_at is not None:
        params |= {
            "receipt_amount": amount,
            "invoice_amount": amount,
            "buyer_pay_amount": amount,
            "point_amount": "0.00",
            "gmt_payment": fields.format_time(trade.paid_at),
            "fund_bill_list": signing.biz_json([{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}]),
        }
    if trade.status == fields.TRADE_CLOSED and trade.closed_at is not None:
        params["gmt_close"] = fields.format_time(trade.closed_at)
    present = {name: value for name, value in params.items() if value}  # Alipay omits empty fields
    return signing.signed(present, key, unsigned=signing.NOTIFICATION_UNSIGNED)


def _locked(session: Session, trade_id: uuid.UUID) -> SandboxAlipayTrade | None:
    query = select(SandboxAlipayTrade).where(SandboxAlipayTrade.id == trade_id)
    return session.scalars(query.with_for_update()).first()


@dataclass(frozen=True)
class Delivery:
    trade_id: uuid.UUID
    notify_id: str
    url: str
    body: bytes


def _prepare(runtime: Runtime, work: UnitOfWork, trade_id: uuid.UUID, *, retry: bool) -> Delivery | None:
    """Build the trade's notification; for a retry, only when due, counting the attempt up front (so two
    sweeps never send the same attempt) and setting when the next one falls due."""
    with work.step() as step:
        session, now = step.session, step.now
        trade = _locked(session, trade_id)
        if trade is None or trade.notify_url is None or trade.notify_id is None:
            return None
        if retry and not deliveries.attempt_due(trade, now, BACKOFF):
            return None
        params = notification_params(trade, keys.sandbox_private_key(runtime.settings), now)
        return Delivery(trade.id, trade.notify_id, trade.notify_url, urlencode(params).encode("ascii"))


def _send(delivery: Delivery) -> bool:
    try:
        with http.client() as client:
            answer = client.post(delivery.url, content=delivery.body, headers={"Content-Type": FORM_TYPE})
    except httpx.HTTPError as exc:
        log.info("sandbox_alipay_notify_failed", notify_id=delivery.notify_id, error=type(exc).__name__)
        return False
    acknowledged = answer.status_code == 200 and answer.text == ACK
    log.info("sandbox_alipay_notified", notify_id=delivery.notify_id, acknowledged=acknowledged)
    return acknowledged


def _record(work: UnitOfWork, delivery: Delivery, *, acknowledged: bool) -> None:
    with work.step() as step:
        trade = _locked(step.session, delivery.trade_id)
        if trade is not None:
            deliveries.answered(
                trade, trade.notify_id, delivery.notify_id, step.now, acknowledged=acknowledged
            )


def deliver(runtime: Runtime, trade_id: uuid.UUID) -> bool | None:
    """Send the trade's notification if due: True acknowledged, False not, None nothing was due."""
    work = runtime.work()
    delivery = _prepare(runtime, work, trade_id, retry=True)
    if delivery is None:
        return None
    with work.between():
        acknowledged = _send(delivery)
    _record(work, delivery, acknowledged=acknowledged)
    return acknowledged


def deliver_due(runtime: Runtime, *, limit: int = 200) -> int:
    """Every notification due by the service clock, once; answers how many were sent."""
    with runtime.work().read() as session:
        due = session.scalars(
            select(SandboxAlipayTrade.id)
            .where(SandboxAlipayTrade.notify_state == NOTIFY_PENDING)
            .where(SandboxAlipayTrade.notify_next_at <= runtime.clock.now())
            .order_by(SandboxAlipayTrade.notify_next_at)
            .limit(limit)
        ).all()
    return sum(1 for trade_id in due if deliver(runtime, trade_id) is not None)


def send_copies(runtime: Runtime, trade_id: uuid.UUID, copies: int) -> int:
    """The current notification `copies` more times, at once; answers how many were acknowledged."""
    work = runtime.work()
    delivery = _prepare(runtime, work, trade_id, retry=False)
    if delivery is None or copies <= 0:
        return 0
    with (
        work.between(),
        ThreadPoolExecutor(max_workers=min(copies, 16), thread_name_prefix="alipay-notify") as pool,
    ):
        return sum(pool.map(_send, [delivery] * copies))


def deliver_after_commit(session: Session, trade: SandboxAlipayTrade) -> None:
    """Queue the first delivery of the trade's new event once the event is committed."""
    if trade.notify_state == NOTIFY_PENDING:
        trade_id = str(trade.id)
        after_commit(session, lambda: deliver_task(trade_id))


def copies_after_commit(session: Session, trade: SandboxAlipayTrade, copies: int) -> None:
    trade_id = str(trade.id)
    after_commit(session, lambda: copies_task(trade_id, copies))


@jobs.huey.task(name="sandbox.alipay.deliver")  # type: ignore[untyped-decorator]
def deliver_task(trade_id: str) -> None:
    deliver(jobs.runtime(), uuid.UUID(trade_id))


@jobs.huey.task(name="sandbox.alipay.copies")  # type: ignore[untyped-decorator]
def copies_task(trade_id: str, copies: int) -> None:
    send_copies(jobs.runtime(), uuid.UUID(trade_id), copies)


@jobs.huey.periodic_task(crontab(minute="*"), name="sandbox.alipay.retry")  # type: ignore[untyped-decorator]
def retry_task() -> None:
    runtime = jobs.runtime()
    if runtime.settings.sandboxes_enabled:
        deliver_due(runtime)
