"""`shebao payables generate [--period YYYY-MM]`."""

from __future__ import annotations

from typing import Annotated

import typer

from shebao.enrolment.terms import scheme_label
from shebao.kit.periods import Period, PeriodError

app = typer.Typer(help="应缴费信息", no_args_is_help=True)


@app.command("generate")
def generate(
    period: Annotated[
        str | None,
        typer.Option(help="生成至该费款所属期（YYYY-MM，不晚于服务时钟的当月；默认当月）"),
    ] = None,
) -> None:
    """按参保信息与服务时钟生成应缴费（已有的不重复生成）。"""
    from shebao.commands import cli_runtime
    from shebao.payables.service import sweep

    until: Period | None = None
    if period:
        try:
            until = Period.parse(period)
        except PeriodError as exc:
            typer.echo(f"费款所属期格式应为YYYY-MM：{period}", err=True)
            raise typer.Exit(2) from exc
    with cli_runtime() as runtime:
        current = Period.of(runtime.clock.today())
        if until is not None and until > current:
            typer.echo(f"不能生成当前费款所属期（{current}）之后的应缴费：{period}", err=True)
            raise typer.Exit(2)
        result = sweep(runtime.work(), runtime.clock, until=until)
    details = "，".join(f"{scheme_label(s)}{n}条" for s, n in result.by_scheme.items() if n)
    typer.echo(
        f"已检查参保信息{result.enrolments}条，生成应缴费{result.created}条"
        + (f"（{details}）" if details else "")
        + f"；截至{until or current}。"
    )
