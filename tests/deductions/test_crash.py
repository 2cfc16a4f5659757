"""Exactly once: `shebao deductions run` killed (SIGKILL) at random points and started again leaves the
bank's ledger and our payments in exact agreement; two runs started at once do not both deduct."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from bench.batch import fill
from sqlalchemy import func, select

from shebao.app import create_app
from shebao.declarations.models import Declaration
from shebao.deductions import exchange
from shebao.deductions.lock import run_lock
from shebao.deductions.models import Deduction
from shebao.deductions.run import run
from shebao.payments.models import Payment
from shebao.runtime import Runtime
from shebao.sandbox.bank.models import SandboxBankAccount, SandboxBankEntry
from tests.support.config import TEST_SECRET

SETTINGS = 600
SHEBAO = Path(sys.executable).parent / "shebao"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def bank(runtime: Runtime, set_now) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The sandbox bank served on a port of its own (in this process); the environment of a CLI run."""
    set_now("2025-11-21T09:00:00+08:00")
    port = _free_port()
    runtime.settings.base_url = f"http://127.0.0.1:{port}"
    runtime.adapters.clear()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    env = {
        **os.environ,
        "SHEBAO_ENV": "test",
        "SHEBAO_DATABASE_URL": runtime.settings.sqlalchemy_url,
        "SHEBAO_DATA_DIR": str(runtime.settings.data_dir),
        "SHEBAO_SECRET_KEY": TEST_SECRET,
        "SHEBAO_BASE_URL": runtime.settings.base_url,
    }
    env.pop("SHEBAO_CLOCK", None)
    yield env
    server.should_exit = True
    thread.join(timeout=5)


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [str(SHEBAO), "deductions", "run", "--date", "2025-11-21", "--quiet"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _agree(runtime: Runtime) -> tuple[int, int]:
    """The bank's successful batch entries and our succeeded batch payments, compared exactly."""
    with runtime.db.session() as s:
        ledger = sorted(
            s.execute(
                select(SandboxBankEntry.msg_id, SandboxBankEntry.amount_fen).where(
                    SandboxBankEntry.batch_no.is_not(None), SandboxBankEntry.result_code == "0000"
                )
            ).tuples()
        )
        ours = sorted(
            s.execute(
                select(Payment.out_trade_no, Payment.amount_fen).where(
                    Payment.channel == "batch", Payment.status == "succeeded"
                )
            ).tuples()
        )
        assert ledger == ours
        assert s.scalar(select(func.count()).select_from(Payment).where(Payment.duplicate.is_(True))) == 0
        paid_twice = s.scalar(
            select(func.count()).select_from(
                select(Payment.declaration_id)
                .where(Payment.status == "succeeded")
                .group_by(Payment.declaration_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        assert paid_twice == 0
        spent = s.scalar(
            select(func.sum(1_000_000 - SandboxBankAccount.balance_fen)).where(
                SandboxBankAccount.balance_fen > 10_000
            )
        )
        assert spent == sum(amount for _, amount in ours)
        assert s.scalar(
            select(func.count()).select_from(Declaration).where(Declaration.payment_status == "paid")
        ) == len(ours)
        open_items = s.scalar(
            select(func.count()).select_from(Deduction).where(Deduction.status.in_(("planned", "sent")))
        )
        return len(ours), int(open_items or 0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_at_random_points_then_run_again_agrees_exactly(runtime, bank, seed) -> None:  # type: ignore[no-untyped-def]
    fill(runtime, SETTINGS)
    chance = random.Random(seed)
    for _ in range(3):
        process = _start(bank)
        time.sleep(chance.uniform(1.0, 7.0))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finished = _start(bank)
    out, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err.decode()
    assert "批量扣款 2025-11-21" in out.decode()
    succeeded, still_open = _agree(runtime)
    assert (succeeded, still_open) == (SETTINGS - SETTINGS // 50, 0)  # one in fifty is short of money


@pytest.mark.postgres_only
def test_two_runs_at_once_do_not_both_deduct(runtime, bank) -> None:  # type: ignore[no-untyped-def]
    fill(runtime, SETTINGS)
    first, second = _start(bank), _start(bank)
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [e.decode() for _, e in outputs]
    started = sorted(out.decode().split("本次新发起 ")[1].split(" ")[0] for out, _ in outputs)
    assert started == ["0", str(SETTINGS)]  # the second waited for the lock, then found nothing to do
    assert _agree(runtime) == (SETTINGS - SETTINGS // 50, 0)


def test_a_run_while_another_holds_the_lock_waits_for_it(runtime, bank) -> None:  # type: ignore[no-untyped-def]
    fill(runtime, 20)
    with run_lock(runtime):
        waiting = _start(bank)
        time.sleep(4)
        assert waiting.poll() is None  # it waits for the lock
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err.decode()
    assert "本次新发起 20 笔" in out.decode()
    again = _start(bank)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and "本次新发起 0 笔" in out.decode()


@pytest.mark.postgres_only
def test_chunks_applied_on_two_connections_at_once_agree_exactly(runtime, bank, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fill(runtime, SETTINGS)
    monkeypatch.setattr(exchange, "CHUNK", 40)  # fifteen chunks, two in flight at a time
    summary = run(runtime, date(2025, 11, 21))
    assert summary.total("succeeded")[0] == SETTINGS - SETTINGS // 50
    assert _agree(runtime) == (SETTINGS - SETTINGS // 50, 0)
