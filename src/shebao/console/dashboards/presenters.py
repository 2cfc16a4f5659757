"""The 统计 page's charts: each figure's rows for its table and, beside them, what the chart draws.

The table lists the rows of the JSON answer and its CSV export, in the same order; the chart's data goes
to the page as JSON (never script) for `static/console/dashboards.js`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from shebao.console.dashboards.figures import (
    BatchOutcome,
    DailyCollection,
    DateRange,
    Dimension,
    StatusTally,
)
from shebao.kit.money import format_yuan

API = "/api/v1/console/dashboards"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    caption: str  # the table's caption: what its rows are
    columns: list[str]
    rows: list[list[str]]  # the table's cells, as shown
    data: dict[str, Any]  # what the chart draws (dashboards.js)
    csv_href: str
    empty: str  # said instead of a chart when there is nothing to draw

    @property
    def has_rows(self) -> bool:
        return bool(self.rows)


def _csv_href(path: str, params: dict[str, str]) -> str:
    return f"{API}/{path}.csv?{urlencode({k: v for k, v in params.items() if v})}"


def collections_chart(
    by: Dimension, span: DateRange, found: list[DailyCollection], params: dict[str, str]
) -> Chart:
    """Stacked bars of amount per day, one series per key; every day of the range on the axis."""
    days = [day.isoformat() for day in span.days]
    keys: dict[str, str] = {}
    for row in found:
        keys.setdefault(row.key, row.label)
    amounts = {(row.day.isoformat(), row.key): row.amount_fen for row in found}
    series = [
        {"name": label, "values": [amounts.get((day, key), 0) for day in days]} for key, label in keys.items()
    ]
    return Chart(
        id=f"collections-{by.value}",
        title=f"每日缴款（按{by.label}）",
        caption=f"每日缴款按{by.label}：缴款成功的笔数与金额（无缴款的日期不列）",
        columns=["日期", by.label, "笔数", "金额（元）"],
        rows=[
            [row.day.isoformat(), row.label, str(row.count), format_yuan(row.amount_fen, symbol=False)]
            for row in found
        ],
        data={"kind": "daily", "days": days, "series": series},
        csv_href=_csv_href("collections", {"by": by.value, **params}),
        empty="所选日期内没有缴款成功的缴款",
    )


def status_chart(found: list[StatusTally], params: dict[str, str]) -> Chart:
    return Chart(
        id="payments-by-status",
        title="缴款按状态",
        caption="所选日期内发起的缴款按当前状态：笔数与金额",
        columns=["状态", "代码", "笔数", "金额（元）"],
        rows=[
            [row.label, row.status, str(row.count), format_yuan(row.amount_fen, symbol=False)]
            for row in found
        ],
        data={
            "kind": "tally",
            "labels": [f"{row.label}（{row.status}）" for row in found],
            "values": [row.count for row in found],
        },
        csv_href=_csv_href("payments-by-status", params),
        empty="所选日期内没有发起的缴款",
    )


def outcomes_chart(found: list[BatchOutcome], params: dict[str, str]) -> Chart:
    return Chart(
        id="batch-outcomes",
        title="批扣结果按原因",
        caption="批扣日在所选日期内的扣款按状态与失败原因：笔数与金额",
        columns=["状态", "失败原因", "笔数", "金额（元）"],
        rows=[
            [row.label, row.reason or "", str(row.count), format_yuan(row.amount_fen, symbol=False)]
            for row in found
        ],
        data={
            "kind": "tally",
            "labels": [f"{row.label}：{row.reason}" if row.reason else row.label for row in found],
            "values": [row.count for row in found],
        },
        csv_href=_csv_href("batch-outcomes", params),
        empty="所选日期内没有批扣",
    )
