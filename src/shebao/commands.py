"""What the domains' `shebao` commands share: the command's runtime, the operator it acts as, and the
course of an import of a CSV file (`shebao import enrolments|payments FILE.csv [--report OUT.csv]`).

The commands themselves live in their domains (`agency/cli.py`, …); `cli.py` gathers them.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, Protocol, TypeVar

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from shebao.audit.service import Actor
from shebao.config import ConfigError, get_settings
from shebao.runtime import Runtime


def build_runtime(*, start_clock: bool = True) -> Runtime:
    """The process's runtime; every command (but the migration itself) follows the service clock."""
    try:
        runtime = Runtime.build(get_settings())
    except ConfigError as exc:
        typer.echo(f"配置错误：{exc}", err=True)
        raise typer.Exit(2) from exc
    if start_clock:
        runtime.start_clock()
    return runtime


@contextmanager
def cli_runtime() -> Iterator[Runtime]:
    """The command's runtime (settings from SHEBAO_*), its connections closed when it ends."""
    runtime = build_runtime()
    try:
        yield runtime
    except (OperationalError, ProgrammingError) as exc:
        typer.echo("数据库不可用或尚未初始化：请先运行 shebao db upgrade", err=True)
        raise typer.Exit(2) from exc
    finally:
        runtime.db.dispose()


def operator() -> Actor:
    """The operator a command acts as: the login name of whoever runs it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(type="operator", id=f"cli:{user}"[:64], channel="cli")


SHOWN_REJECTIONS = 20
CsvFile = Annotated[Path, typer.Argument(help="UTF-8 CSV 文件，第1行为表头", show_default=False)]
ReportFile = Annotated[
    Path | None, typer.Option("--report", help="逐行结果（line,status,reason）写入该CSV文件")
]


class ImportOutcome(Protocol):
    def summary(self) -> str: ...

    def rejections(self) -> Sequence[tuple[int, str]]:
        """(line, reason) of every rejected row, in file order."""
        ...


Source = TypeVar("Source")
Outcome = TypeVar("Outcome", bound=ImportOutcome)


def import_file(
    file: Path,
    report: Path | None,
    *,
    label: str,
    read: Callable[[Path], tuple[Source, int]],
    unreadable: type[Exception],
    run: Callable[[Runtime, Source, Callable[[int], None]], Outcome],
    write_report: Callable[[Outcome, Path], None],
) -> NoReturn:
    """An import command from file to exit code (API.md): `read` checks the whole file before anything is
    written and answers what `run` takes and how many rows it has (or raises `unreadable`); the report
    file must be writable before the import starts. Exit 0 when no row was rejected, 1 when some were,
    2 when the file or the report could not be read or written, or the database is not ready."""
    try:
        source, rows = read(file)
    except unreadable as exc:
        typer.echo(f"无法读取文件：{exc}", err=True)
        raise typer.Exit(2) from exc
    if report is not None:
        try:
            report.touch()
        except OSError as exc:
            typer.echo(f"无法写入报告文件：{report}（{exc.strerror}）", err=True)
            raise typer.Exit(2) from exc

    with cli_runtime() as runtime, typer.progressbar(length=rows, label=label, file=sys.stderr) as bar:
        outcome = run(runtime, source, bar.update)

    if report is not None:
        write_report(outcome, report)
    rejected = outcome.rejections()
    for line, reason in rejected[:SHOWN_REJECTIONS]:
        typer.echo(f"第{line}行被拒绝：{reason}", err=True)
    if len(rejected) > SHOWN_REJECTIONS:
        more = f"，详见 {report}" if report else "，使用 --report 输出全部结果"
        typer.echo(f"……另有{len(rejected) - SHOWN_REJECTIONS}行被拒绝{more}", err=True)
    typer.echo(outcome.summary() + (f"；报告：{report}" if report else ""))
    raise typer.Exit(1 if rejected else 0)
