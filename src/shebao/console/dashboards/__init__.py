"""统计: the console's dashboards (issue 16, part 5). Collections per day by scheme, district, channel and
method; payments by status; batch deduction outcomes by reason: each a JSON answer, a CSV export and a
chart beside its table on `/console/dashboards` (charts: docs/decisions/0018)."""

from __future__ import annotations

from fastapi import FastAPI


def include(app: FastAPI) -> None:
    from shebao.console.dashboards import endpoints, pages

    endpoints.include(app)
    pages.include(app)
