"""The demo's operators: one of each role at 什刹海税务所 (where demo payers are enrolled) and an admin
of all offices, each with a one-time password to replace at first login, as a real operator starts."""

from __future__ import annotations

from typing import Final

from shebao.audit.service import Actor
from shebao.console.operators import Enrolment, Operators
from shebao.runtime import Runtime

DEMO_OFFICE: Final = "11101020001"  # 什刹海税务所
DEMO_OPERATORS: Final = (
    ("demo.admin", "admin", None),
    ("demo.approver", "approver", DEMO_OFFICE),
    ("demo.operator", "operator", DEMO_OFFICE),
    ("demo.viewer", "viewer", DEMO_OFFICE),
)


def add_demo_operators(runtime: Runtime) -> list[Enrolment]:
    with runtime.work().step() as step:
        operators = Operators(step.session, now=step.now, actor=Actor.system())
        return [
            operators.add(username, role=role, tax_office=office) for username, role, office in DEMO_OPERATORS
        ]
