"""The payable state machine: to_declare → declared → paid, and back to to_declare when voided."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shebao.payables import states
from shebao.payables.models import Payable

AT = datetime(2025, 11, 20, 1, tzinfo=UTC)


def _payable(status: str) -> Payable:
    return Payable(id=uuid.uuid4(), status=status, declaration_id=None)


def test_declare_pay_and_release() -> None:
    declaration_id = uuid.uuid4()
    payable = _payable("to_declare")
    states.declare(payable, declaration_id, AT)
    assert (payable.status, payable.declaration_id, payable.updated_at) == ("declared", declaration_id, AT)
    states.release(payable, AT)
    assert (payable.status, payable.declaration_id) == ("to_declare", None)
    states.declare(payable, declaration_id, AT)
    states.pay(payable, AT)
    assert (payable.status, payable.declaration_id) == ("paid", declaration_id)


@pytest.mark.parametrize(
    ("status", "move"),
    [
        ("paid", lambda p: states.release(p, AT)),
        ("paid", lambda p: states.declare(p, uuid.uuid4(), AT)),
        ("to_declare", lambda p: states.pay(p, AT)),
    ],
)
def test_forbidden_moves_raise(status: str, move) -> None:  # type: ignore[no-untyped-def]
    payable = _payable(status)
    with pytest.raises(states.IllegalTransition):
        move(payable)
    assert payable.status == status
