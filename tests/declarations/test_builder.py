"""One builder makes every declaration: declaring here and a payment made elsewhere share it."""

from __future__ import annotations

import ast
from pathlib import Path

import shebao
from shebao.settlement import declare, elsewhere

SRC = Path(shebao.__file__).parent


def _built_in(path: Path) -> list[int]:
    """Lines where a module constructs a Declaration row (or its items) itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("Declaration", "DeclarationItem")
    ]


def test_only_the_settlement_core_s_builder_constructs_a_declaration() -> None:
    built = {
        path.relative_to(SRC).as_posix(): lines
        for path in sorted(SRC.rglob("*.py"))
        if (lines := _built_in(path))
    }
    assert list(built) == ["settlement/declare.py"]
    assert len(built["settlement/declare.py"]) == 2  # build_declaration and declaration_item


def test_a_payment_made_elsewhere_declares_through_that_builder() -> None:
    assert elsewhere.build_declaration is declare.build_declaration
    assert elsewhere.declaration_item is declare.declaration_item
