"""Small modules (STYLE.md, issue 13): no module in `src` over 600 lines."""

from __future__ import annotations

from pathlib import Path

import shebao

SRC = Path(shebao.__file__).parent
LIMIT = 600


def test_no_module_in_src_is_over_600_lines() -> None:
    sizes = {
        path.relative_to(SRC).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in SRC.rglob("*.py")
    }
    assert sizes  # the scan found the package
    assert {name: lines for name, lines in sizes.items() if lines > LIMIT} == {}
