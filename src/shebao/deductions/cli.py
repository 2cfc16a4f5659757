"""`shebao deductions run --date YYYY-MM-DD` (API.md, Contribution settings and batch deduction)."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer

deductions_app = typer.Typer(help="批量扣款（按缴费金额设置）", no_args_is_help=True)


@deductions_app.command("run")
def run_command(
    day: Annotated[str, typer.Option("--date", help="扣款日期 YYYY-MM-DD（北京时间）")],
    quiet: Annotated[bool, typer.Option("--quiet", help="不显示进度")] = False,
) -> None:
    """按有效的缴费金额设置批量扣款：申报、生成并发送银行批量扣款文件、入账银行结果；同一日期重复运行不会重复扣款。"""
    from shebao.commands import cli_runtime
    from shebao.deductions.run import run

    try:
        run_date = date.fromisoformat(day)
    except ValueError as exc:
        typer.echo("日期格式应为 YYYY-MM-DD", err=True)
        raise typer.Exit(2) from exc

    def progress(message: str) -> None:
        if not quiet:
            print(f"… {message}", file=sys.stderr, flush=True)

    with cli_runtime() as runtime:
        summary = run(runtime, run_date, progress=progress)
    typer.echo(summary.render())
