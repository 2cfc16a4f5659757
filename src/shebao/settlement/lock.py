"""The one lock method of the settlement core. Lock order everywhere: the declaration, then its payment.

`SELECT … FOR UPDATE` does not refresh a row this session loaded before (SQLAlchemy's identity map):
the repositories' lock queries re-read (`populate_existing`), so every rule is checked against the row
as locked — a payment loaded before a concurrent success committed is never taken for unpaid. On
SQLite a write step holds the single write lock from its first statement (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from shebao.declarations.models import Declaration
from shebao.declarations.repository import DeclarationRepository
from shebao.payables.models import Payable
from shebao.payments.models import Payment
from shebao.payments.repository import PaymentRepository


class Missing(LookupError):
    """An invariant broke: a row the settlement core holds the id of is gone."""

    def __init__(self, what: str, key: uuid.UUID) -> None:
        super().__init__(f"{what} {key} is gone")


def payables(session: Session, payable_ids: Sequence[uuid.UUID]) -> list[Payable]:
    """Lock payables to declare them, in id order (two declarers of overlapping sets never deadlock),
    re-read as the database holds them now."""
    return DeclarationRepository(session).payables_for_update(payable_ids)


def payment(session: Session, payment_id: uuid.UUID) -> Payment:
    """A payment the caller knows exists (read, not locked)."""
    found = PaymentRepository(session).get(payment_id)
    if found is None:
        raise Missing("payment", payment_id)
    return found


def lock_payment(
    session: Session, payment_id: uuid.UUID, *, declaration_id: uuid.UUID | None = None
) -> tuple[Declaration, Payment]:
    """Lock the payment's declaration, then the payment; answers both as the database holds them now.
    `declaration_id`: the payment's, when the caller has it (a payment's never changes), saving its read."""
    if declaration_id is None:
        declaration_id = payment(session, payment_id).declaration_id  # never changes: no lock to read it
    # The declaration's row is what is locked and checked here: one not yet loaded in this step is read
    # without its items (read if and when asked for); one already loaded keeps its items loaded.
    loaded = identity_key(Declaration, declaration_id) in session.identity_map
    declaration = DeclarationRepository(session).for_update(declaration_id, items=loaded)
    locked = PaymentRepository(session).for_update(payment_id)
    if declaration is None:
        raise Missing("declaration", declaration_id)
    if locked is None:
        raise Missing("payment", payment_id)
    return declaration, locked
