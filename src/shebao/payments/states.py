"""The payment state machine: one table of allowed source states drives every transition.

Repeating a transition is a no-op. A success is accepted from every state but itself, so money that
arrives late (after a close, an expiry or a failure) is never lost (DESIGN.md).
"""

from __future__ import annotations

from typing import Final

from shebao.payments.models import CLOSED, CREATED, FAILED, PENDING, SUCCEEDED, UNKNOWN, Payment

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    PENDING: frozenset({CREATED, UNKNOWN}),
    UNKNOWN: frozenset({CREATED, PENDING}),
    SUCCEEDED: frozenset({CREATED, PENDING, UNKNOWN, CLOSED, FAILED}),
    FAILED: frozenset({CREATED, PENDING, UNKNOWN}),
    CLOSED: frozenset({CREATED, PENDING, UNKNOWN}),
}

# A payment's first state is CREATED (not yet handed to its provider) unless its channel has a rule here.
# A batch deduction's payment is created PENDING: it is in its bank's batch from the step that creates
# it, it is never queried, and only the bank's result file (or closing it unsent) ends it (decision 0020).
# Its one audit row, `payment.created`, says the state it was created in.
FIRST_STATE: Final[dict[str, str]] = {"batch": PENDING}


def first_state(channel: str) -> str:
    return FIRST_STATE.get(channel, CREATED)


class IllegalTransition(Exception):
    def __init__(self, payment: Payment, target: str) -> None:
        super().__init__(f"payment {payment.id}: {payment.status} → {target} is not allowed")


def can_move(payment: Payment, target: str) -> bool:
    return payment.status == target or payment.status in ALLOWED_FROM[target]


def move(payment: Payment, target: str) -> bool:
    """Apply a transition; answers False for a repeat (no-op), raises for a forbidden one."""
    if payment.status == target:
        return False
    if payment.status not in ALLOWED_FROM[target]:
        raise IllegalTransition(payment, target)
    payment.status = target
    return True
