"""CSV exports of the dashboards: the JSON answer's items, one line each, its fields as columns.

UTF-8 with a byte-order mark (spreadsheet programs in China otherwise read it as GBK); a text cell that a
spreadsheet would take for a formula (=, +, -, @ first: a bank's reason is outside text) is quoted by
a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

from shebao.console.dashboards.schemas import Figure

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return str(value)


def to_csv(items: list[BaseModel], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        values = item.model_dump(mode="json")
        writer.writerow([_cell(values[name]) for name in columns])
    return out.getvalue()


def csv_response(name: str, figure: Figure, items: list[Any], model: type[BaseModel]) -> Response:
    columns = list(model.model_fields)
    office = figure.tax_office or "all"
    filename = f"{name}-{office}-{_day(figure.start)}-{_day(figure.end)}.csv"
    return Response(
        content="\ufeff" + to_csv(items, columns),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")
