"""`Idempotency-Key` (API.md): the same key and body within 24 h answer the first payment.

The key is claimed before anything else happens: a row unique on (payer, key) is committed with no
payment yet. Whoever inserts it opens the payment and links it; a concurrent request with the same
key finds the claim and waits for that payment (never opening, nor closing, one of its own). A claim
whose request failed before creating a payment is released; one left by a crash is taken over once
the provider call it guarded must be over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.db import UnitOfWork
from shebao.identity.models import Person
from shebao.payments import errors
from shebao.payments.models import CREATED, IdempotencyRecord, Payment
from shebao.payments.repository import PaymentRepository
from shebao.settlement.query import IN_FLIGHT

WINDOW = timedelta(hours=24)
# How long a request with a claimed key waits for the first request's payment, polling every POLL s.
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Claim:
    """Either this request holds the key (`payment` None: go on and open the payment), or the answer."""

    payment: Payment | None


def claim(work: UnitOfWork, payer: Person, key: str, fingerprint: str) -> Claim:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            answer = _try(work, payer, key, fingerprint)
        except IntegrityError:
            answer = None  # another request inserted the claim first: read it on the next round
        if answer is not None:
            return answer
        if time.monotonic() > deadline:
            raise errors.ResultPending()
        time.sleep(POLL_SECONDS)


def _try(work: UnitOfWork, payer: Person, key: str, fingerprint: str) -> Claim | None:
    with work.step() as step:
        session, now = step.session, step.now
        repository = PaymentRepository(session)
        found = repository.idempotency(payer.id, key, for_update=True)
        if found is not None and found.created_at < now - WINDOW:
            session.delete(found)  # an expired key may be used again
            session.flush()
            found = None
        if found is None:
            session.add(
                IdempotencyRecord(payer_id=payer.id, key=key, request_hash=fingerprint, created_at=now)
            )
            session.flush()
            return Claim(None)
        if found.request_hash != fingerprint:
            raise errors.IdempotencyConflict()
        if found.payment_id is None:
            if found.created_at < now - IN_FLIGHT:  # its request died before creating the payment
                found.created_at = now
                return Claim(None)
            return None
        payment = repository.get(found.payment_id)
        if payment is None:
            raise LookupError(f"idempotency key of payer {payer.id} names a missing payment")
        # The first request is still asking the provider: wait for its answer (the pay view), unless it
        # never comes (then the payment as it stands).
        if payment.status == CREATED and now < payment.created_at + IN_FLIGHT:
            return None
        return Claim(payment)


def link(session: Session, payer: Person, key: str, fingerprint: str, payment: Payment) -> None:
    """Inside the transaction that creates the payment: the claim now answers that payment."""
    found = PaymentRepository(session).idempotency(payer.id, key, for_update=True)
    if found is None:  # released meanwhile (cannot happen while this request holds it): claim it again
        found = IdempotencyRecord(
            payer_id=payer.id, key=key, request_hash=fingerprint, created_at=payment.created_at
        )
        session.add(found)
    found.payment_id = payment.id


def release(work: UnitOfWork, payer: Person, key: str) -> None:
    """The request holding the claim failed before creating a payment: the key is free again."""
    with work.step() as step:
        step.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.payer_id == payer.id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.payment_id.is_(None),
            )
        )
