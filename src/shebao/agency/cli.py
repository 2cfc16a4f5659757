"""`shebao import enrolments FILE.csv [--report OUT.csv]` and `shebao agency add-key AGENCY_CODE`.

Exit codes of the import (API.md): 0 when no row was rejected, 1 when some were, 2 when the file
(or the report file) could not be read or written, or the database is not ready.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from shebao.commands import cli_runtime, operator

import_app = typer.Typer(help="导入数据", no_args_is_help=True)
agency_app = typer.Typer(help="社保经办机构", no_args_is_help=True)

_SHOWN_REJECTIONS = 20


@import_app.command("enrolments")
def import_enrolments(
    file: Annotated[Path, typer.Argument(help="UTF-8 CSV 文件，第1行为表头", show_default=False)],
    report: Annotated[
        Path | None, typer.Option("--report", help="逐行结果（line,status,reason）写入该CSV文件")
    ] = None,
) -> None:
    """导入社保经办机构的参保数据（CSV）；逐行报告导入、更新、未变或拒绝及原因。"""
    from shebao.agency.importer import FileUnreadable, import_csv, scan, write_report
    from shebao.agency.service import REJECTED

    try:
        layout = scan(file)
    except FileUnreadable as exc:
        typer.echo(f"无法读取文件：{exc.message}", err=True)
        raise typer.Exit(2) from exc
    if report is not None:
        try:
            report.touch()
        except OSError as exc:
            typer.echo(f"无法写入报告文件：{report}（{exc.strerror}）", err=True)
            raise typer.Exit(2) from exc

    with (
        cli_runtime() as runtime,
        typer.progressbar(length=layout.rows, label="导入参保数据", file=sys.stderr) as bar,
    ):
        result = import_csv(runtime, file, actor=operator(), progress=bar.update, layout=layout)

    if report is not None:
        write_report(result, report)
    rejected = [row for row in result.results if row.status == REJECTED]
    for row in rejected[:_SHOWN_REJECTIONS]:
        typer.echo(f"第{row.line}行被拒绝：{row.reason}", err=True)
    if len(rejected) > _SHOWN_REJECTIONS:
        more = f"，详见 {report}" if report else "，使用 --report 输出全部结果"
        typer.echo(f"……另有{len(rejected) - _SHOWN_REJECTIONS}行被拒绝{more}", err=True)
    typer.echo(result.summary() + (f"；报告：{report}" if report else ""))
    raise typer.Exit(1 if rejected else 0)


@agency_app.command("add-key")
def add_key(agency_code: Annotated[str, typer.Argument(help="社保经办机构代码，如 SB110102")]) -> None:
    """为社保经办机构新增一个接口密钥（X-Agency-Key）；密钥只显示这一次。"""
    from shebao.agency.keys import UnknownAgency, create_key

    with cli_runtime() as runtime:
        try:
            with runtime.db.transaction() as session:
                key = create_key(session, agency_code.strip(), now=runtime.clock.now(), actor=operator())
        except UnknownAgency as exc:
            typer.echo(f"{exc.detail}（可用代码见 GET /api/v1/reference/agencies）", err=True)
            raise typer.Exit(2) from exc
    typer.echo(
        f"已为 {key.agency_name}（{key.agency_code}）新增接口密钥，请妥善保存，它只显示这一次：", err=True
    )
    typer.echo(key.secret)
