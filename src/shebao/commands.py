"""What the domains' `shebao` commands share: the command's runtime and the operator it acts as.

The commands themselves live in their domains (`agency/cli.py`, …); `cli.py` gathers them.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

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
