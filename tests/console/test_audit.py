"""The audit log's CSV export: cells a spreadsheet would run as formulas are kept as text."""

from __future__ import annotations

from shebao.console.audit import _cell


def test_formula_looking_cells_are_kept_as_text() -> None:
    assert [_cell(text) for text in ("=1+1", "+86", "-1", "@SUM(A1)", "console.payer_reveal", "")] == [
        "'=1+1",
        "'+86",
        "'-1",
        "'@SUM(A1)",
        "console.payer_reveal",
        "",
    ]
