"""A seeded fault injector for the payment core and a simulation of payers, providers and the jobs.

Faults sit where the real ones happen: on the wire (`kit.http`, through which every provider call and
every sandbox notification goes) and in the sandboxes' own controls (notifications dropped, copied,
delayed; the bank timing out or losing requests). A "crash" is the process dying at a provider call:
`Crash` is a BaseException, so nothing in the service catches it and the step stops where it was, with
what it had committed (decision 0002's steps); the restart is the next step, as a fresh process would
find the database.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shebao.audit.models import AuditEntry
from shebao.declarations.models import Declaration
from shebao.errors import ShebaoError
from shebao.identity.models import Person
from shebao.kit import http
from shebao.payments.models import CLOSED, FAILED, SUCCEEDED, Payment
from shebao.runtime import Runtime
from shebao.sandbox.alipay import notifier as alipay_notifier
from shebao.sandbox.alipay.models import SandboxAlipayTrade
from shebao.sandbox.bank.models import SandboxBankEntry
from shebao.sandbox.wechat import notifier as wechat_notifier
from shebao.sandbox.wechat.models import SandboxWechatTrade
from shebao.settlement.open import PaymentOpener, PaymentRequest
from shebao.settlement.query import settle_due
from tests.support.people import transaction

FINAL = (SUCCEEDED, CLOSED, FAILED)
PAID_AT_PROVIDER = {"alipay": "TRADE_SUCCESS", "wechat": "SUCCESS"}


class Crash(BaseException):  # noqa: N818 - the process died; nothing may catch it as an error
    """The process was killed here."""


@dataclass
class Faults:
    """What the wire does to each provider exchange, drawn from the simulation's seeded generator."""

    rng: random.Random
    timeouts: float = 0.0  # share of exchanges that time out (half before, half after the far side acted)
    crashes: float = 0.0  # share of our own provider calls at which the process dies
    crash_armed: bool = False  # only our own calls in the simulation's thread may crash it
    crash_at: tuple[str, bool] | None = None  # (path part, before?): die at the first such call, for sure
    log: list[str] = field(default_factory=list)

    def rates_off(self) -> None:
        self.timeouts = self.crashes = 0.0
        self.crash_armed = False

    def wrap(self, inner: Callable[[], httpx.Client]) -> Callable[[], httpx.Client]:
        faults = self

        class FaultyClient(httpx.Client):
            def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
                draw = faults.rng.random()
                before = faults.rng.random() < 0.5
                crash = faults.crash_armed and draw < faults.crashes
                if faults.crash_at and faults.crash_at[0] in request.url.path:
                    crash, before, faults.crash_at = True, faults.crash_at[1], None
                timeout = not crash and draw < faults.crashes + faults.timeouts
                if (crash or timeout) and before:
                    faults.log.append(f"{'crash' if crash else 'timeout'} before {request.url.path}")
                    if crash:
                        raise Crash(request.url.path)
                    raise httpx.ReadTimeout("injected", request=request)
                with inner() as client:
                    answer = client.send(request, **kwargs)
                    answer.read()
                if crash or timeout:
                    faults.log.append(f"{'crash' if crash else 'timeout'} after {request.url.path}")
                    if crash:
                        raise Crash(request.url.path)
                    raise httpx.ReadTimeout("injected", request=request)
                return answer

        return FaultyClient


@contextmanager
def faulty_wire(app: Any, faults: Faults) -> Iterator[None]:
    """Every `kit.http.client()` reaches the app in-process through the fault injector."""
    previous = http._factory
    http.use(faults.wrap(lambda: TestClient(app, base_url="http://testserver")))
    try:
        yield
    finally:
        http.use(previous)


@dataclass
class Simulation:
    profile: str
    runtime: Runtime
    client: TestClient  # the sandboxes' controls, without faults
    faults: Faults
    rng: random.Random
    declarations: list[tuple[Person, uuid.UUID]]  # who pays which declaration
    agreements: dict[uuid.UUID, uuid.UUID]  # a payer's agreement, for paying by agreement
    # Whether the random runs may also crash while a payment is being opened (decision 0002's steps).
    crash_in_open: bool = True
    crashes: int = 0
    steps: list[str] = field(default_factory=list)

    # --- steps ----------------------------------------------------------------------------------
    def step(self) -> None:
        kind = self.rng.choices(
            ["open", "pay", "pay_closed", "cancel", "copies", "tick", "bank"], weights=[8, 4, 1, 1, 3, 3, 1]
        )[0]
        getattr(self, f"_{kind}")()

    def _open(self) -> None:
        self.open_one(crashable=self.crash_in_open)

    def open_one(self, *, crashable: bool, only: tuple[Person, uuid.UUID, str] | None = None) -> None:
        if only is None:
            payer, declaration_id = self.rng.choice(self.declarations)
            methods = ["alipay", "wechat"] + (["agreement"] if payer.id in self.agreements else [])
            method = self.rng.choice(methods)
        else:
            payer, declaration_id, method = only
        request = PaymentRequest(
            declaration_id=declaration_id,
            method=method,
            agreement_id=self.agreements.get(payer.id) if method == "agreement" else None,
        )
        self.steps.append(f"open {method} {declaration_id}")
        with self._crashable() if crashable else nullcontext():
            try:
                PaymentOpener(self.runtime, payer, channel="h5").open(request)
            except ShebaoError as refused:  # paid already, result pending, provider refused: fine
                self.steps.append(f"  refused {refused.code}")

    def _trade(self, *states: str) -> tuple[str, str] | None:
        """A sandbox trade in one of `states`, drawn in creation order (trade numbers are random)."""
        with self.runtime.db.session() as s:
            found = sorted(
                (trade.created_at, method, trade.out_trade_no)
                for method, model in (("alipay", SandboxAlipayTrade), ("wechat", SandboxWechatTrade))
                for trade in s.scalars(select(model).where(model.status.in_(states)))
            )
        return self.rng.choice(found)[1:] if found else None

    def _pay(self) -> None:
        trade = self._trade("WAIT_BUYER_PAY", "NOTPAY")
        if trade is None:
            return
        provider, out_trade_no = trade
        notify = self.rng.random() < 0.7  # else the notification is dropped: only a query will tell
        self.steps.append(f"pay {provider} {out_trade_no} notify={notify}")
        answer = self.client.post(f"/sandbox/{provider}/trades/{out_trade_no}/pay", json={"notify": notify})
        assert answer.status_code in (200, 409), answer.text

    def _pay_closed(self) -> None:
        """The payer pays a trade just as it was closed (the race the providers allow): money moved."""
        trade = self._trade("TRADE_CLOSED", "CLOSED")
        if trade is None:
            return
        provider, out_trade_no = trade
        self.steps.append(f"pay closed {provider} {out_trade_no}")
        answer = self.client.post(
            f"/sandbox/{provider}/trades/{out_trade_no}/pay", json={"notify": True, "force": True}
        )
        assert answer.status_code in (200, 409), answer.text

    def _cancel(self) -> None:
        trade = self._trade("WAIT_BUYER_PAY", "NOTPAY")
        if trade is not None:
            self.steps.append(f"cancel {trade}")
            answer = self.client.post(f"/sandbox/{trade[0]}/trades/{trade[1]}/cancel", json={})
            assert answer.status_code in (200, 409), answer.text

    def _copies(self) -> None:
        trade = self._trade("TRADE_SUCCESS", "SUCCESS", "TRADE_CLOSED", "CLOSED")
        if trade is None:
            return
        provider, out_trade_no = trade
        body: dict[str, int] = {"copies": self.rng.randint(2, 8)}  # at once, in parallel
        if provider == "wechat" and self.rng.random() < 0.5:
            body["delay_seconds"] = self.rng.randint(60, 3600)  # arrives late, after others
        self.steps.append(f"copies {provider} {out_trade_no} {body}")
        answer = self.client.post(f"/sandbox/{provider}/trades/{out_trade_no}/notify", json=body)
        assert answer.status_code in (200, 409), answer.text

    def _bank(self) -> None:
        mode = self.rng.choice(["normal", "normal", "timeout", "lost"])
        self.steps.append(f"bank {mode}")
        assert self.client.post("/sandbox/bank/controls", json={"mode": mode}).status_code == 200

    def _tick(self, minutes: int | None = None) -> None:
        """Time passes: the sandboxes retry and send delayed copies; the query job runs."""
        minutes = minutes if minutes is not None else self.rng.randint(1, 40)
        self.steps.append(f"tick {minutes} min")
        with transaction(self.runtime) as s:
            self.runtime.clock.move_to(s, self.runtime.clock.now() + timedelta(minutes=minutes))
        alipay_notifier.deliver_due(self.runtime)
        wechat_notifier.deliver_due(self.runtime)
        with self._crashable():
            settle_due(self.runtime)

    @contextmanager
    def _crashable(self) -> Iterator[None]:
        self.faults.crash_armed = True
        try:
            yield
        except Crash as crash:
            self.crashes += 1
            self.steps.append(f"  crashed at {crash}")  # restart: the next step finds the database as it is
        finally:
            self.faults.crash_armed = False

    def settle_everything(self) -> None:
        """Faults off, the bank back to normal, then hours pass: every open payment must end."""
        self.faults.rates_off()
        assert self.client.post("/sandbox/bank/controls", json={"mode": "normal"}).status_code == 200
        for _ in range(12):
            self._tick(31)

    def summary(self) -> dict[str, int]:
        """How much happened: payments by final state, crashes, injected timeouts."""
        with self.runtime.db.session() as s:
            payments = list(s.scalars(select(Payment)))
        counts = {status: sum(p.status == status for p in payments) for status in FINAL}
        counts["duplicate"] = sum(p.duplicate for p in payments)
        counts["agreement"] = sum(p.method == "agreement" for p in payments)
        counts["crashes"] = self.crashes
        counts["timeouts"] = sum(entry.startswith("timeout") for entry in self.faults.log)
        return counts

    # --- invariants ---------------------------------------------------------------------------
    def violations(self, *, final: bool = False) -> list[str]:
        return violations(self.runtime, final=final)


def violations(runtime: Runtime, *, final: bool = False) -> list[str]:
    """The money invariants, as the database holds them: no declaration paid twice, no real payment
    flagged duplicate, every fen debited at a provider paid or marked for refund exactly once, every
    change with its audit row; `final`: every payment has ended."""
    found: list[str] = []
    with runtime.db.session() as s:
        payments = list(s.scalars(select(Payment)))
        declarations = {d.id: d for d in s.scalars(select(Declaration))}
        audited = {
            (row.object_id, row.action) for row in s.execute(select(AuditEntry.object_id, AuditEntry.action))
        }
        debited = {
            (method, trade.out_trade_no): trade.amount_fen
            for method, model in (("alipay", SandboxAlipayTrade), ("wechat", SandboxWechatTrade))
            for trade in s.scalars(select(model))
            if trade.status == PAID_AT_PROVIDER[method]
        }
        bank_debited = s.scalar(
            select(func.coalesce(func.sum(SandboxBankEntry.amount_fen), 0)).where(
                SandboxBankEntry.serial_no.is_not(None)
            )
        )
    by_trade = {(p.method, p.out_trade_no): p for p in payments}
    for declaration_id, declaration in declarations.items():
        real = [
            p
            for p in payments
            if p.declaration_id == declaration_id and p.status == SUCCEEDED and not p.duplicate
        ]
        if len(real) > 1:
            found.append(f"declaration {declaration_id} paid {len(real)} times")
        if (declaration.payment_status == "paid") != (len(real) == 1):
            found.append(
                f"declaration {declaration_id} is {declaration.payment_status} with {len(real)} payments"
            )
        if declaration.payment_status == "paid" and (str(declaration_id), "declaration.paid") not in {
            (str(o), a) for o, a in audited
        }:
            found.append(f"declaration {declaration_id} paid without an audit row")
    for p in payments:
        key = f"payment {p.method} {p.out_trade_no} ({p.status}{', duplicate' if p.duplicate else ''})"
        if p.duplicate and not any(
            q.declaration_id == p.declaration_id and q.status == SUCCEEDED and not q.duplicate
            for q in payments
        ):
            found.append(f"{key}: flagged duplicate, yet nothing else paid its declaration")
        if p.duplicate and p.refund_status not in ("to_refund", "refunded"):
            found.append(f"{key}: a duplicate not marked for refund")
        if (
            p.status == SUCCEEDED
            and p.method in PAID_AT_PROVIDER
            and debited.get((p.method, p.out_trade_no)) != p.amount_fen
        ):
            found.append(
                f"{key}: succeeded, but the provider holds {debited.get((p.method, p.out_trade_no))}"
            )
        actions = {a for o, a in audited if str(o) == str(p.id)}
        if "payment.created" not in actions:
            found.append(f"{key}: no audit row for its creation")
        wanted = {
            SUCCEEDED: {"payment.succeeded", "payment.duplicate"},
            CLOSED: {"payment.closed"},
            FAILED: {"payment.failed"},
        }
        if p.status in wanted and not actions & wanted[p.status]:
            found.append(f"{key}: no audit row for becoming {p.status}")
        if final and p.status not in FINAL:
            found.append(f"{key}: still open after the query job ran for hours")
    if final:
        for method, out_trade_no in debited:
            payment = by_trade.get((method, out_trade_no))
            if payment is None or payment.status != SUCCEEDED:
                found.append(f"{method} {out_trade_no}: debited, its payment {payment and payment.status}")
        agreement_paid = sum(
            p.amount_fen for p in payments if p.method == "agreement" and p.status == SUCCEEDED
        )
        if agreement_paid != bank_debited:
            found.append(
                f"bank debited {bank_debited} fen, agreement payments succeeded for {agreement_paid}"
            )
    return found
