"""`shebao operators add|disable|reset` (API.md, Operator console).

The one-time password and the TOTP enrolment are printed once, on stdout, for the new operator; they
are never stored in the clear nor logged."""

from __future__ import annotations

from typing import Annotated

import typer

from shebao.errors import ShebaoError

operators_app = typer.Typer(help="税务所控制台的操作员", no_args_is_help=True)


def _fail(error: ShebaoError) -> typer.Exit:
    typer.echo(error.detail, err=True)
    return typer.Exit(1)


def _print_enrolment(password: str, uri: str) -> None:
    typer.echo(f"password={password}")
    typer.echo(f"totp={uri}")


@operators_app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="用户名（字母、数字或 . _ -）", show_default=False)],
    role: Annotated[str, typer.Option("--role", help="viewer | operator | approver | admin")],
    tax_office: Annotated[
        str | None, typer.Option("--tax-office", help="税务所代码；不填仅限管理员（可查看全部税务所）")
    ] = None,
) -> None:
    """新增操作员：输出初始密码（首次登录须修改）与动态口令的 otpauth:// 地址。"""
    from shebao.commands import cli_runtime, operator
    from shebao.console.operators import Operators

    with cli_runtime() as runtime:
        try:
            with runtime.work().step() as step:
                done = Operators(step.session, now=step.now, actor=operator()).add(
                    username, role=role, tax_office=tax_office
                )
                password, uri = done.one_time_password, done.totp_uri
        except ShebaoError as error:
            raise _fail(error) from None
    _print_enrolment(password, uri)


@operators_app.command("disable")
def disable_command(username: Annotated[str, typer.Argument(help="用户名", show_default=False)]) -> None:
    """停用操作员：其所有会话立即结束，不能再登录。"""
    from shebao.commands import cli_runtime, operator
    from shebao.console.operators import Operators

    with cli_runtime() as runtime:
        try:
            with runtime.work().step() as step:
                Operators(step.session, now=step.now, actor=operator()).disable(username)
        except ShebaoError as error:
            raise _fail(error) from None
    typer.echo(f"已停用：{username.strip()}")


@operators_app.command("reset")
def reset_command(username: Annotated[str, typer.Argument(help="用户名", show_default=False)]) -> None:
    """重置操作员：新的初始密码与动态口令密钥，其所有会话结束；停用的操作员由此重新启用。"""
    from shebao.commands import cli_runtime, operator
    from shebao.console.operators import Operators

    with cli_runtime() as runtime:
        try:
            with runtime.work().step() as step:
                done = Operators(step.session, now=step.now, actor=operator()).reset(username)
                password, uri = done.one_time_password, done.totp_uri
        except ShebaoError as error:
            raise _fail(error) from None
    _print_enrolment(password, uri)
