"""An operator's state machine: pending (the one-time password to replace) → active; either → disabled;
a reset (new one-time password, new TOTP secret) returns any state to pending. One table of allowed
source states drives every transition; each caller writes the audit row naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from shebao.console.models import ACTIVE, DISABLED, PENDING, Operator

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    ACTIVE: frozenset({PENDING, ACTIVE}),  # a new password: first login, or a later change
    DISABLED: frozenset({PENDING, ACTIVE}),
    PENDING: frozenset({PENDING, ACTIVE, DISABLED}),  # reset
}


class IllegalTransition(Exception):
    def __init__(self, operator: Operator, target: str) -> None:
        super().__init__(f"operator {operator.id}: {operator.status} → {target} is not allowed")


def allowed(operator: Operator, target: str) -> bool:
    return operator.status in ALLOWED_FROM[target]


def move(operator: Operator, target: str, *, at: datetime) -> str:
    """Apply a transition; returns the state it left (for the audit row)."""
    before = operator.status
    if before not in ALLOWED_FROM[target]:
        raise IllegalTransition(operator, target)
    operator.status, operator.updated_at = target, at
    return before
