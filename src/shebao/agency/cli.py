"""`shebao import enrolments FILE.csv [--report OUT.csv]` and `shebao agency add-key AGENCY_CODE`.

Exit codes of the import (API.md): 0 when no row was rejected, 1 when some were, 2 when the file
(or the report file) could not be read or written, or the database is not ready.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shebao.commands import CsvFile, ReportFile, cli_runtime, import_file, operator

if TYPE_CHECKING:
    from shebao.agency.importer import CsvLayout

agency_app = typer.Typer(help="社保经办机构", no_args_is_help=True)


def import_enrolments(file: CsvFile, report: ReportFile = None) -> None:
    """导入社保经办机构的参保数据（CSV）；逐行报告导入、更新、未变或拒绝及原因。"""
    from shebao.agency.importer import JOBS, FileUnreadable, import_csv, scan, write_report
    from shebao.imports.models import ENROLMENTS
    from shebao.imports.service import run_recorded

    def read(path: Path) -> tuple[CsvLayout, int]:
        layout = scan(path)
        return layout, layout.rows

    import_file(
        file,
        report,
        label="导入参保数据",
        read=read,
        unreadable=FileUnreadable,
        run=lambda runtime, layout, progress: run_recorded(
            runtime,
            kind=ENROLMENTS,
            file_name=file.name,
            actor=operator(),
            run=lambda: import_csv(
                runtime, file, actor=operator(), progress=progress, layout=layout, jobs=JOBS
            ),
        )[0],
        write_report=write_report,
    )


@agency_app.command("add-key")
def add_key(agency_code: Annotated[str, typer.Argument(help="社保经办机构代码，如 SB110102")]) -> None:
    """为社保经办机构新增一个接口密钥（X-Agency-Key）；密钥只显示这一次。"""
    from shebao.agency.keys import UnknownAgency, create_key

    with cli_runtime() as runtime:
        try:
            with runtime.work().step() as step:
                key = create_key(step.session, agency_code.strip(), now=step.now, actor=operator())
        except UnknownAgency as exc:
            typer.echo(f"{exc.detail}（可用代码见 GET /api/v1/reference/agencies）", err=True)
            raise typer.Exit(2) from exc
    typer.echo(
        f"已为 {key.agency_name}（{key.agency_code}）新增接口密钥，请妥善保存，它只显示这一次：", err=True
    )
    typer.echo(key.secret)
