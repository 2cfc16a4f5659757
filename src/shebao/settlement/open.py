"""Open a payment of a declaration (POST /api/v1/payments): the steps of one unit of work.

0. claim the Idempotency-Key (a unique row; the same key waits for the first request's payment);
1. decide (declaration locked): may it be paid, is a result pending, is an open payment someone
   else's; with nothing open, create the payment in this same step (concurrent openers meet it in flight);
2. otherwise close the open ones at their provider (between steps), and
3. create the payment (declaration locked again, everything re-checked);
4. ask the provider (between steps); 5. record its answer: pending, unknown (timeout) or failed.

Agreement payment (协议支付) takes the same steps: the agreement is checked in 1 and 3, and the provider
(the bank) answers the completed deduction in 4, which 5 applies at once — success through
`settle.apply_success`, a refusal as failed with the bank's reason, no answer as unknown (the query job
settles it by the deduction's message id). While a deduction is in flight nothing replaces or closes it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from shebao.agreements.models import Agreement
from shebao.audit.service import Actor, record
from shebao.channels.base import (
    ChannelDeclined,
    ChannelError,
    ChannelOrder,
    ChannelPay,
    ChannelTimeout,
)
from shebao.db import UnitOfWork
from shebao.declarations.models import PAID, Declaration
from shebao.declarations.service import DeclarationService
from shebao.identity.models import Person
from shebao.kit.clock import start_of_local_day, to_shanghai
from shebao.kit.ids import random_digits
from shebao.payments import errors, states
from shebao.payments.models import CREATED, FAILED, PENDING, UNKNOWN, Payment
from shebao.payments.registry import adapter_for, answers_at_once, methods_for
from shebao.payments.repository import PaymentRepository
from shebao.runtime import Runtime
from shebao.settlement import agreement as by_agreement
from shebao.settlement import idempotency, lock
from shebao.settlement.declaration import check_can_pay
from shebao.settlement.query import IN_FLIGHT, close_at_provider, in_flight, next_query_at
from shebao.settlement.settle import apply_end, apply_success


@dataclass(frozen=True)
class PaymentRequest:
    declaration_id: uuid.UUID
    method: str
    platform_user_id: str | None = None
    idempotency_key: str | None = None
    agreement_id: uuid.UUID | None = None  # 协议支付: the payer's agreement to deduct by

    def fingerprint(self) -> str:
        body = {
            "declaration_id": str(self.declaration_id),
            "method": self.method,
            "platform_user_id": self.platform_user_id,
        }
        if self.agreement_id is not None:
            body["agreement_id"] = str(self.agreement_id)
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# Payments made inside a provider's own mini program need the payer's id on that platform (buyer id, openid).
IN_APP_PAYMENTS = {("alipay_mp", "alipay"), ("wechat_mp", "wechat")}


def new_out_trade_no(now: datetime) -> str:
    """Ours at the provider: date, time and randomness; never reused (unique per method)."""
    return "SB" + now.strftime("%Y%m%d%H%M%S") + random_digits(10)


def may_close(payer: Person, declaration: Declaration, payment: Payment) -> bool:
    """A declaration's declarer and its insured person may close any of its payments; another payer
    (paying for a family member) only their own."""
    return payer.id in (declaration.declared_by_id, declaration.person_id, payment.payer_id)


class PaymentOpener:
    def __init__(
        self, runtime: Runtime, payer: Person, *, channel: str, work: UnitOfWork | None = None
    ) -> None:
        self.runtime = runtime
        self.work = work or runtime.work()
        self.payer = payer
        self.channel = channel
        self.actor = Actor("payer", str(payer.id), channel)

    def _declaration(self, session: Session, declaration_id: uuid.UUID) -> Declaration:
        service = DeclarationService(self.runtime, session, self.payer, channel=self.channel)
        found = service.get(declaration_id, for_update=True)
        return found

    def _check(self, session: Session, declaration: Declaration, now: datetime) -> list[Payment]:
        """May a new payment start? Answers the open payments that must be closed first."""
        if declaration.payment_status == PAID:
            raise errors.DeclarationPaid()
        check_can_pay(declaration, to_shanghai(now).date())
        payments = PaymentRepository(session).of_declaration(declaration.id)
        deducting = any(p.is_open and answers_at_once(p.method) for p in payments)  # a deduction being sent
        if deducting or any(p.status == UNKNOWN or p.close_pending or in_flight(p, now) for p in payments):
            raise errors.ResultPending()
        open_payments = [p for p in payments if p.is_open]
        if not all(may_close(self.payer, declaration, p) for p in open_payments):
            raise errors.OpenedByAnother()
        return open_payments

    def _agreement(
        self,
        session: Session,
        declaration: Declaration,
        request: PaymentRequest,
        now: datetime,
        *,
        lock: bool = False,
    ) -> Agreement | None:
        if request.agreement_id is None:
            return None
        today = to_shanghai(now).date()
        agreement_id = request.agreement_id
        return by_agreement.check_usable(session, self.payer, declaration, agreement_id, today, lock=lock)

    def open(self, request: PaymentRequest) -> Payment:
        if request.method not in methods_for(self.channel, self.runtime.settings):
            raise errors.MethodNotOffered()
        if (request.method == "agreement") != (request.agreement_id is not None):
            raise errors.AgreementChoice()
        if (self.channel, request.method) in IN_APP_PAYMENTS and not request.platform_user_id:
            raise errors.PlatformUserMissing()
        key = request.idempotency_key
        if not key:
            return self._open(request)
        claimed = idempotency.claim(self.work, self.payer, key, request.fingerprint())
        if claimed.payment is not None:
            return claimed.payment  # the first request's payment
        try:
            return self._open(request)
        except BaseException:
            idempotency.release(self.work, self.payer, key)  # unless a payment was linked to it
            raise

    def _open(self, request: PaymentRequest) -> Payment:
        with self.work.step() as step:  # decide; with nothing to close, create
            session, now = step.session, step.now
            declaration = self._declaration(session, request.declaration_id)
            open_payments = self._check(session, declaration, now)
            agreement = self._agreement(session, declaration, request, now, lock=True)
            # Nothing to close: create it under this lock, so concurrent openers meet it in flight.
            created = None if open_payments else self._new(session, declaration, request, agreement, now)
        if created is None:
            for payment in open_payments:
                close_at_provider(self.runtime, payment, self.work)
            created = self._create(request)
        return self._ask_provider(created, request)

    def _create(self, request: PaymentRequest) -> Payment:
        with self.work.step() as step:
            session, now = step.session, step.now
            declaration = self._declaration(session, request.declaration_id)
            if self._check(session, declaration, now):
                raise errors.ResultPending()  # an open payment could not be closed just now
            agreement = self._agreement(session, declaration, request, now, lock=True)  # revoked meanwhile?
            return self._new(session, declaration, request, agreement, now)

    def _new(
        self,
        session: Session,
        declaration: Declaration,
        request: PaymentRequest,
        agreement: Agreement | None,
        now: datetime,
    ) -> Payment:
        deadline_end = start_of_local_day(declaration.deadline + timedelta(days=1))
        payment = Payment(
            declaration_id=declaration.id,
            payer_id=self.payer.id,
            person_id=declaration.person_id,
            method=request.method,
            channel=self.channel,
            out_trade_no=new_out_trade_no(now),
            amount_fen=declaration.total_fen,
            status=CREATED,
            created_at=now,
            updated_at=now,
            expires_at=min(
                now + timedelta(minutes=self.runtime.settings.payment_expiry_minutes), deadline_end
            ),
        )
        # In flight until the provider answers; the query job looks once the call must be over, so a
        # crash between this commit and the provider call still ends in a final state.
        payment.next_query_at = now + IN_FLIGHT
        if agreement is not None:
            payment.pay = by_agreement.pay_view(agreement)
        session.add(payment)
        session.flush()
        if request.idempotency_key:
            idempotency.link(session, self.payer, request.idempotency_key, request.fingerprint(), payment)
        record(
            session,
            actor=self.actor,
            action="payment.created",
            object_type="payment",
            object_id=payment.id,
            at=now,
            after={
                "status": CREATED,
                "method": payment.method,
                "amount_fen": payment.amount_fen,
                "declaration_id": str(declaration.id),
                "for_other": declaration.person_id != self.payer.id,
            },
        )
        if agreement is not None:
            by_agreement.record_deduction(session, payment, agreement, actor=self.actor, now=now)
        return payment

    def _ask_provider(self, payment: Payment, request: PaymentRequest) -> Payment:
        base = self.runtime.settings.base_url.rstrip("/")
        agreement_id = request.agreement_id
        order = ChannelOrder(
            out_trade_no=payment.out_trade_no,
            amount_fen=payment.amount_fen,
            subject="社保费缴纳",
            client_channel=self.channel,
            platform_user_id=request.platform_user_id,
            notify_url=f"{base}/api/v1/channels/{payment.method}/notify",
            return_url=f"{base}/payments/{payment.id}/result",
            expires_at=payment.expires_at,
            debit=by_agreement.debit_for(self.work, agreement_id) if agreement_id else None,
        )
        adapter = adapter_for(payment.method, self.runtime)
        try:
            with self.work.between():
                pay = adapter.create(order)
        except ChannelTimeout:
            return self._record(payment, UNKNOWN, pay=None)
        except ChannelDeclined as declined:
            return self._declined(payment, declined.reason)
        except ChannelError as exc:
            with self.work.step() as step:
                session, now = step.session, step.now
                current = lock.payment(session, payment.id)
                apply_end(
                    session,
                    current,
                    FAILED,
                    now=now,
                    reason="支付渠道暂时无法受理，请稍后再试",
                    actor=self.actor,
                )
            raise errors.ProviderRefused() from exc
        if pay.outcome is not None:
            return self._completed(payment, pay)
        return self._record(payment, PENDING, pay={"kind": pay.kind, "url": pay.url, "params": pay.params})

    def _completed(self, payment: Payment, pay: ChannelPay) -> Payment:
        """A real-time outcome (a bank deduction): applied at once, by the same path as a notification."""
        outcome = pay.outcome
        if outcome is None:
            raise ValueError("a completed payment without its outcome")
        with self.work.step() as step:
            session, now = step.session, step.now
            current = lock.payment(session, payment.id)
            view = current.pay or {"kind": pay.kind, "url": pay.url, "params": {}}
            current.pay = {**view, "params": {**view.get("params", {}), **pay.params}}
            if outcome.status == "succeeded":
                trade_no, paid_at = outcome.provider_trade_no, outcome.paid_at
                return apply_success(session, current, provider_trade_no=trade_no, paid_at=paid_at, now=now)
            return apply_end(session, current, FAILED, now=now, reason=outcome.failure_reason)

    def _declined(self, payment: Payment, reason: str) -> Payment:
        """The provider declined this payment (余额不足 …): failed with its reason; a new one may follow."""
        with self.work.step() as step:
            session, now = step.session, step.now
            current = lock.payment(session, payment.id)
            return apply_end(session, current, FAILED, now=now, reason=reason)

    def _record(self, payment: Payment, status: str, *, pay: dict[str, object] | None) -> Payment:
        with self.work.step() as step:
            session, now = step.session, step.now
            _, current = lock.lock_payment(session, payment.id, declaration_id=payment.declaration_id)
            if current.status == CREATED:  # a notification may already have settled it
                states.move(current, status)
                record(
                    session,
                    actor=self.actor,
                    action=f"payment.{status}",
                    object_type="payment",
                    object_id=current.id,
                    at=now,
                    before={"status": CREATED},
                    after={"status": status},
                )
            current.pay = pay if pay is not None else current.pay
            # A bank that timed out may still be finishing the deduction: its first query waits a little.
            immediate = status == UNKNOWN and not answers_at_once(current.method)
            current.next_query_at = now if immediate else next_query_at(now, 0)
            current.updated_at = now
            return current
