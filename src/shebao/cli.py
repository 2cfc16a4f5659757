"""The `shebao` command (API.md, CLI)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

import shebao.registrations  # noqa: F401 - what registers with the layers below, before any runtime
from shebao.agency.cli import agency_app, import_enrolments
from shebao.commands import build_runtime
from shebao.config import get_settings
from shebao.console.cli import operators_app
from shebao.deductions.cli import deductions_app
from shebao.elsewhere.cli import import_payments
from shebao.logging import uvicorn_log_config
from shebao.operations.cli import ops_app
from shebao.payables.cli import app as payables_app
from shebao.reconciliation.cli import reconcile_command
from shebao.web.clients import proxy_options

app = typer.Typer(help="shebao 自然人社保费系统", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库：迁移与参考数据", no_args_is_help=True)
import_app = typer.Typer(help="导入数据", no_args_is_help=True)
import_app.command("enrolments")(import_enrolments)
import_app.command("payments")(import_payments)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(agency_app, name="agency")
app.add_typer(payables_app, name="payables")
app.add_typer(deductions_app, name="deductions")
app.command("reconcile")(reconcile_command)
app.add_typer(ops_app, name="ops")
app.add_typer(operators_app, name="operators")

DEMO_CLOCK = "2025-11-20T09:00:00+08:00"
# How long uvicorn's parent waits for a worker process to answer a ping (its default is 5 s). The parent
# handles no signal while it waits, so this also bounds how late a SIGTERM is seen.
WORKER_PING_SECONDS = 15


@db_app.command("upgrade")
def db_upgrade() -> None:
    """迁移数据库结构到最新版本并载入参考数据（不含演示数据）。"""
    from shebao.migrate import upgrade

    runtime = build_runtime(start_clock=False)  # the clock's table may not exist yet
    changed = upgrade(runtime.db)
    runtime.start_clock()
    typer.echo(f"数据库已是最新版本；参考数据更新 {changed} 项。")


def _spawn_without_the_script() -> None:
    """uvicorn's worker processes are spawned, and a spawned process first runs the parent's main script
    (this console script, importing every command: 2-3 s of CPU) before it answers the parent's first
    ping; on a busy 2-core machine that took more than uvicorn's 5 s and the parent killed the workers as
    hung, over and over. The workers need nothing from the script (they import `shebao.asgi`), so it is
    not named to them: multiprocessing then treats the main module as interactive."""
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is None and hasattr(main, "__file__"):
        del main.__file__


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听端口")] = 8000,
    workers: Annotated[int, typer.Option(help="进程数")] = 1,
) -> None:
    """启动 Web 服务（JSON API 与 H5 页面）。"""
    import uvicorn

    proxies = proxy_options(build_runtime().settings)
    _spawn_without_the_script()
    uvicorn.run(
        "shebao.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=uvicorn_log_config(),
        proxy_headers=proxies.proxy_headers,
        forwarded_allow_ips=proxies.forwarded_allow_ips,
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
    )


@app.command()
def worker(threads: Annotated[int, typer.Option(help="工作线程数")] = 2) -> None:
    """启动后台任务进程（定时任务、通知重试、查询补偿）。"""
    from shebao import jobs
    from shebao import worker as queue

    jobs.use_runtime(build_runtime())
    queue.register_tasks()
    consumer = jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=True)
    try:
        consumer.run()
    finally:
        from shebao.kit import http

        http.close()  # the pooled provider connections


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听端口")] = 8000,
    keep: Annotated[bool, typer.Option("--keep", help="沿用上次的演示数据和演练时钟，不重新开始")] = False,
) -> None:
    """演示：全新的 SQLite 数据库、演示数据、模拟支付渠道与演练时钟，一个进程运行全部。"""
    data_dir = Path(os.environ.get("SHEBAO_DATA_DIR") or get_settings().data_dir) / "demo"
    kept = keep and (data_dir / "shebao.db").exists()
    if data_dir.exists() and not kept:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "SHEBAO_ENV": "dev",
            "SHEBAO_DATA_DIR": str(data_dir),
            "SHEBAO_BASE_URL": f"http://{host}:{port}",
            "SHEBAO_CLOCK": os.environ.get("SHEBAO_CLOCK", DEMO_CLOCK),
        }
    )
    os.environ.pop("SHEBAO_DATABASE_URL", None)
    os.environ.pop("SHEBAO_REDIS_URL", None)
    get_settings.cache_clear()

    import uvicorn

    from shebao import jobs
    from shebao import worker as queue
    from shebao.app import create_app
    from shebao.demo import load_demo
    from shebao.migrate import upgrade

    runtime = build_runtime(start_clock=False)  # a fresh database: no schema yet
    upgrade(runtime.db)
    runtime.start_clock()
    if kept:
        text = f"沿用上次的演示数据（{data_dir}），演示缴费人见第一次启动时的输出。 http://{host}:{port}/"
    else:
        text = load_demo(runtime).render(f"http://{host}:{port}", runtime.clock.now())
    jobs.use_runtime(runtime)
    queue.start_in_process()
    application = create_app(runtime=runtime)
    typer.echo(text)
    proxies = proxy_options(runtime.settings)
    sys.stdout.flush()
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="warning",
        log_config=uvicorn_log_config(),
        proxy_headers=proxies.proxy_headers,
        forwarded_allow_ips=proxies.forwarded_allow_ips,
    )


def main() -> None:
    app()
