"""The audit log's one table of Chinese labels covers every action and object type the code writes."""

from __future__ import annotations

import ast
from pathlib import Path

from shebao.audit.labels import ACTION_LABELS, OBJECT_TYPE_LABELS, action_label
from shebao.console.lookup import LOOKUP, REVEAL, VIEW
from shebao.deductions.states import ALLOWED_FROM as SETTING_MOVES
from shebao.imports.models import ENROLMENTS, PAYMENTS
from shebao.payments.models import CLOSED, CREATED, FAILED, PENDING, SUCCEEDED, UNKNOWN
from shebao.payments.refunds import ALLOWED_FROM as REFUND_MOVES
from shebao.reconciliation.states import ALLOWED_FROM as ISSUE_MOVES

SRC = Path(__file__).resolve().parents[2] / "src" / "shebao"


def _written(keyword: str) -> set[str]:
    """Literal codes passed as `keyword=` (or first to an `_audit`/`record` helper) anywhere in src."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            given = [k.value for k in node.keywords if k.arg == keyword]
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if keyword == "action" and "audit" in name.lower():
                given += node.args[:1]
            found |= {g.value for g in given if isinstance(g, ast.Constant) and isinstance(g.value, str)}
    return found


def test_every_action_written_has_a_label() -> None:
    families = (
        {f"payment.{s}" for s in (CREATED, PENDING, UNKNOWN, SUCCEEDED, FAILED, CLOSED)}
        | {f"refund.{target}" for target in REFUND_MOVES}
        | {f"reconciliation_issue.{target}" for target in ISSUE_MOVES}
        | {f"contribution_setting.{target}" for target in SETTING_MOVES}
        | {f"import.{kind}" for kind in (ENROLMENTS, PAYMENTS)}
        | {LOOKUP, VIEW, REVEAL}
    )
    written = _written("action") | families
    assert len(written) > 50
    assert sorted(written - ACTION_LABELS.keys()) == []


def test_every_object_type_written_has_a_label() -> None:
    written = _written("object_type") | {"person", "person_search", "enrolment"}
    assert sorted(written - OBJECT_TYPE_LABELS.keys()) == []


def test_labels_are_unique_and_an_unknown_code_shows_as_itself() -> None:
    assert len(set(ACTION_LABELS.values())) == len(ACTION_LABELS)
    assert len(set(OBJECT_TYPE_LABELS.values())) == len(OBJECT_TYPE_LABELS)
    assert action_label("payment.succeeded") == "支付成功"
    assert action_label("something.new") == "something.new"
