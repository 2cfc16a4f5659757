"""The declaration's state machines, each one table of allowed source states: its status (申报处理中 →
申报成功 or 申报失败; 申报成功 → 已作废) and its payment status (未缴费 → 已缴费, once).

Repeating a transition is a no-op; a forbidden one raises. The audit row is the caller's, in the same
step (the settlement core's `do_void` and `apply_success`).
"""

from __future__ import annotations

from typing import Final

from shebao.declarations.models import FAILED, PAID, PROCESSING, SUCCEEDED, UNPAID, VOIDED, Declaration

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    SUCCEEDED: frozenset({PROCESSING}),
    FAILED: frozenset({PROCESSING}),
    VOIDED: frozenset({SUCCEEDED}),
}
PAYMENT_ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {PAID: frozenset({UNPAID})}


class IllegalTransition(Exception):
    def __init__(self, declaration: Declaration, field: str, current: str, target: str) -> None:
        super().__init__(f"declaration {declaration.id}: {field} {current} → {target} is not allowed")


def _move(declaration: Declaration, field: str, allowed_from: dict[str, frozenset[str]], target: str) -> bool:
    current = getattr(declaration, field)
    if current == target:
        return False
    if current not in allowed_from[target]:
        raise IllegalTransition(declaration, field, current, target)
    setattr(declaration, field, target)
    return True


def move(declaration: Declaration, target: str) -> bool:
    """Apply a transition of the status; answers False for a repeat (no-op), raises for a forbidden one."""
    return _move(declaration, "status", ALLOWED_FROM, target)


def mark_paid(declaration: Declaration) -> bool:
    """未缴费 → 已缴费; answers False for a repeat, raises for a forbidden one."""
    return _move(declaration, "payment_status", PAYMENT_ALLOWED_FROM, PAID)
