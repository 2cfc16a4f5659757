"""The declaration's state machines: 申报处理中 → 申报成功 or 申报失败, 申报成功 → 已作废; 未缴费 → 已缴费."""

from __future__ import annotations

import uuid

import pytest

from shebao.declarations import states
from shebao.declarations.models import Declaration


def _declaration(status: str, payment_status: str = "unpaid") -> Declaration:
    return Declaration(id=uuid.uuid4(), status=status, payment_status=payment_status)


@pytest.mark.parametrize(
    ("start", "target"),
    [("processing", "succeeded"), ("processing", "failed"), ("succeeded", "voided")],
)
def test_allowed_moves_happen_once(start: str, target: str) -> None:
    declaration = _declaration(start)
    assert states.move(declaration, target) is True
    assert declaration.status == target
    assert states.move(declaration, target) is False  # a repeat changes nothing
    assert declaration.status == target


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("processing", "voided"),
        ("failed", "voided"),
        ("failed", "succeeded"),
        ("voided", "succeeded"),
        ("succeeded", "failed"),
        ("voided", "failed"),
    ],
)
def test_forbidden_moves_raise_and_change_nothing(start: str, target: str) -> None:
    declaration = _declaration(start)
    with pytest.raises(states.IllegalTransition, match=f"status {start} → {target}"):
        states.move(declaration, target)
    assert declaration.status == start


def test_paid_once() -> None:
    declaration = _declaration("succeeded")
    assert states.mark_paid(declaration) is True
    assert declaration.payment_status == "paid"
    assert states.mark_paid(declaration) is False


def test_an_unknown_payment_status_is_not_marked_paid() -> None:
    declaration = _declaration("succeeded", payment_status="refunded")
    with pytest.raises(states.IllegalTransition, match="payment_status refunded → paid"):
        states.mark_paid(declaration)
    assert declaration.payment_status == "refunded"
