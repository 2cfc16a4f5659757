"""`shebao reconcile --date YYYY-MM-DD [--channel alipay|wechat|unionpay]` (API.md, CLI)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer


def reconcile_command(
    day: Annotated[str, typer.Option("--date", help="已结束的日期 YYYY-MM-DD（北京时间）")],
    channel: Annotated[
        str | None, typer.Option("--channel", help="alipay | wechat | unionpay；缺省为全部")
    ] = None,
) -> None:
    """与支付渠道对账：补记通知丢失的缴款，报告金额不符和未知交易（不自动修改）；报告写入数据目录。"""
    from shebao.commands import cli_runtime
    from shebao.reconciliation.service import KIND_LABELS, ReconcileRefused, reconcile, statement_channels

    try:
        bill_date = date.fromisoformat(day)
    except ValueError as exc:
        typer.echo("日期格式应为 YYYY-MM-DD", err=True)
        raise typer.Exit(2) from exc
    with cli_runtime() as runtime:
        channels = [channel] if channel else statement_channels(runtime)
        for name in channels:
            try:
                summary = reconcile(runtime, name, bill_date)
            except ReconcileRefused as exc:
                typer.echo(f"{name} {bill_date}：{exc.detail}", err=True)
                raise typer.Exit(2) from exc
            for finding in summary.findings:
                typer.echo(
                    f"  {KIND_LABELS[finding.kind]}  {finding.out_trade_no}  "
                    f"对账单 {finding.statement_amount_fen} 分 / 本系统 {finding.our_amount_fen} 分"
                )
            typer.echo(summary.render())
            if summary.report_path is not None:
                typer.echo(f"  报告：{summary.report_path}")
