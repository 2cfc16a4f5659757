"""`shebao import payments FILE.csv [--report OUT.csv]`: the tax core's feed of payments made elsewhere.

Exit codes and output as for enrolments (`commands.import_file`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from shebao.commands import CsvFile, ReportFile, import_file

if TYPE_CHECKING:
    from shebao.elsewhere.feed import FeedReport
    from shebao.runtime import Runtime


def import_payments(file: CsvFile, report: ReportFile = None) -> None:
    """导入税务核心系统推送的其他渠道缴款（柜台、银行等），全渠道入账；重复导入不会重复入账。"""
    from shebao.commands import operator
    from shebao.elsewhere.feed import FeedUnreadable, read_csv, run_feed, write_report
    from shebao.imports.models import PAYMENTS
    from shebao.imports.service import run_recorded

    def read(path: Path) -> tuple[list[tuple[int, dict[str, str]]], int]:
        rows = read_csv(path)
        return rows, len(rows)

    def run(
        runtime: Runtime, rows: list[tuple[int, dict[str, str]]], progress: Callable[[int], None]
    ) -> FeedReport:
        outcome, _ = run_recorded(
            runtime, kind=PAYMENTS, file_name=file.name, actor=operator(), run=lambda: run_feed(runtime, rows)
        )
        progress(len(rows))
        return outcome

    import_file(
        file,
        report,
        label="导入其他渠道缴款",
        read=read,
        unreadable=FeedUnreadable,
        run=run,
        write_report=write_report,
    )
