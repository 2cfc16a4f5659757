"""`shebao import payments FILE.csv [--report OUT.csv]`: the tax core's feed of payments made elsewhere.

Exit codes as for enrolments: 0 when no row was rejected, 1 when some were, 2 when the file could not be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shebao.agency.cli import import_app
from shebao.commands import cli_runtime


@import_app.command("payments")
def import_payments(
    file: Annotated[Path, typer.Argument(help="UTF-8 CSV 文件，第1行为表头", show_default=False)],
    report: Annotated[
        Path | None, typer.Option("--report", help="逐行结果（line,status,reason）写入该CSV文件")
    ] = None,
) -> None:
    """导入税务核心系统推送的其他渠道缴款（柜台、银行等），全渠道入账；重复导入不会重复入账。"""
    from shebao.elsewhere.feed import FeedUnreadable, read_csv, run_feed, write_report

    try:
        rows = read_csv(file)
    except FeedUnreadable as exc:
        typer.echo(f"无法导入：{exc.message}", err=True)
        raise typer.Exit(2) from exc
    with cli_runtime() as runtime:
        outcome = run_feed(runtime, rows)
    if report is not None:
        write_report(outcome, report)
    for line, status, reason in outcome.rows:
        if status == "rejected":
            typer.echo(f"第{line}行：{reason}", err=True)
    typer.echo(outcome.summary())
    raise typer.Exit(1 if outcome.rejected else 0)
