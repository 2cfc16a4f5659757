"""The tests' own layout: test modules import helpers from tests/support only, never another test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "tests" and len(parts) > 1 and parts[1] != "support" and name.count(".") >= 1:
                found.append(name)
    return sorted(set(found))


def test_only_tests_support_is_imported_across_test_modules() -> None:
    offenders = {
        str(path.relative_to(TESTS)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := _imported_test_modules(path))
    }
    assert offenders == {}


def test_helper_modules_live_in_tests_support() -> None:
    """Outside tests/support a test directory holds test modules and conftest.py only."""
    stray = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if TESTS / "support" not in path.parents
        and path.name not in {"__init__.py", "conftest.py"}
        and not path.name.startswith("test_")
    ]
    assert stray == []
