"""The import graph between the first-level packages and modules of `shebao` has no cycle.

Every module is parsed with `ast`; every import counts, function-local ones included, except those
under `if TYPE_CHECKING:` (they never run). A node is a first-level package (`shebao.payments`) or a
top-level module (`shebao.db`); an import of `shebao.X.Y` is an edge to `X`. import-linter enforces the
layers themselves (pyproject.toml); this test measures what it cannot see the same way: a cycle made
of function-local imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import shebao

ROOT = Path(shebao.__file__).parent
PACKAGE = "shebao"
# Alembic's migration scripts run under Alembic, never imported by the application.
SKIPPED = ("migrations/versions",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The absolute names `module` imports, skipping `if TYPE_CHECKING:` bodies."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from shebao import payments` imports the package payments.
            yield from (f"{target}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def _node(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def _first_level_nodes() -> set[str]:
    return {
        path.stem if path.is_file() else path.name
        for path in ROOT.iterdir()
        if (path.is_file() and path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }


def import_graph() -> dict[str, dict[str, list[str]]]:
    """node → {imported node → the modules of node that import it (evidence)}."""
    nodes = _first_level_nodes()
    graph: dict[str, dict[str, list[str]]] = {node: {} for node in nodes}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if any(relative.startswith(skipped) for skipped in SKIPPED):
            continue
        module = _module_name(path)
        source = _node(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imports(tree, module, path.name == "__init__.py"):
            target = _node(name)
            if target is None or target == source or target not in nodes:
                continue
            graph[source].setdefault(target, [])
            if module not in graph[source][target]:
                graph[source][target].append(module)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's components of more than one node, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def a_cycle(graph: dict[str, dict[str, list[str]]], component: list[str]) -> list[str]:
    """One cycle through the component's first node, by breadth-first search."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    return component


def describe(graph: dict[str, dict[str, list[str]]], cycle: list[str]) -> str:
    lines = []
    for source, target in zip(cycle, cycle[1:], strict=False):
        lines.append(f"  {source} → {target}  ({', '.join(graph[source][target][:3])})")
    return "\n".join(lines)


def test_the_graph_sees_function_local_and_skips_type_checking_imports(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from shebao.payments import models\n"
        "def f():\n    from shebao.db import Base\n"
        "from . import sibling\n"
    )
    names = set(_imports(ast.parse(source), "shebao.kit.clock", is_package=False))
    assert "shebao.db" in names
    assert "shebao.kit.sibling" in names
    assert not any(name.startswith("shebao.payments") for name in names)


def test_no_import_cycle_between_first_level_packages() -> None:
    graph = import_graph()
    components = strongly_connected(graph)
    report = [
        f"cycle among {len(component)} nodes {component}:\n{describe(graph, a_cycle(graph, component))}"
        for component in components
    ]
    assert components == [], "\n".join(report)
