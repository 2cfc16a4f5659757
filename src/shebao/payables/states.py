"""The payable state machine (DESIGN.md): to_declare → declared → paid; voiding a declaration (or the tax
core refusing it) returns its payables to to_declare. One table of allowed source states drives every
transition; the declaration's audit row names the payables each change moved."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from shebao.payables.models import DECLARED, PAID, TO_DECLARE, Payable

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    DECLARED: frozenset({TO_DECLARE}),
    TO_DECLARE: frozenset({DECLARED}),
    PAID: frozenset({DECLARED}),
}


class IllegalTransition(Exception):
    def __init__(self, payable: Payable, target: str) -> None:
        super().__init__(f"payable {payable.id}: {payable.status} → {target} is not allowed")


def move(payable: Payable, target: str, *, at: datetime, declaration_id: uuid.UUID | None) -> None:
    """Apply a transition (a repeat is a no-op); `declaration_id` is the declaration it now belongs to."""
    if payable.status != target and payable.status not in ALLOWED_FROM[target]:
        raise IllegalTransition(payable, target)
    payable.status, payable.declaration_id, payable.updated_at = target, declaration_id, at


def declare(payable: Payable, declaration_id: uuid.UUID, at: datetime) -> None:
    move(payable, DECLARED, at=at, declaration_id=declaration_id)


def release(payable: Payable, at: datetime) -> None:
    """Its declaration was voided or refused: to be declared again."""
    move(payable, TO_DECLARE, at=at, declaration_id=None)


def pay(payable: Payable, at: datetime) -> None:
    move(payable, PAID, at=at, declaration_id=payable.declaration_id)
