"""Batch deduction (批扣) at scale: N contribution settings deducted end to end on PostgreSQL.

    .venv/bin/python bench/batch.py --settings 100000 [--pg-url URL] [--late-percent 0] [--statements]
        [--workers 2]

1. a database (default: `shebao_bench_batch` on the local PostgreSQL, created and dropped by the
   script; or `--pg-url`), `shebao db upgrade`, the service clock at 2025-11-21 09:00 (Beijing);
2. N insured persons, each with a resident-pension enrolment and its 2025 payable, an active
   agreement with the sandbox bank, an account there (one in fifty short of money: 余额不足) and
   an active contribution setting of 3000 yuan (filled with COPY, not timed);
3. **baseline**: COPY of N rows as wide as a deduction row into a fresh table, timed;
4. **run**: `deductions.run.run` for 2025-11-21, timed: plan, declare and open payments, the signed
   batch file (sealed at rest), its upload to the sandbox bank served by a `shebao serve` process
   of its own (which deducts item by item and signs its result file), the result file downloaded,
   checked whole and applied (payments, e-tickets, declarations, payables, audit rows, SMS).

`--statements` also prints the run's SQL statements (this process's side), grouped, with their count
and time, slowest first (SQLAlchemy's cursor events; the COPY streams are not statements of theirs).

Prints, last: `batch: N items in S s = R items/s, peak RSS M MB, X × COPY` (RSS of this process, the
run's side; the bank server's peak is printed on the line before).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

import shebao.registrations  # noqa: F401 - the sandbox SMS provider, as every entry point has it
from shebao.agreements.accounts import account_index as agreement_account_index
from shebao.agreements.models import Agreement
from shebao.config import Settings
from shebao.db import insert_rows
from shebao.deductions.models import ContributionSetting
from shebao.enrolment.models import Enrolment
from shebao.identity.models import Person
from shebao.identity.repository import document_index, phone_index, taxpayer_index
from shebao.kit.ids import new_id
from shebao.migrate import upgrade
from shebao.payables.models import Payable
from shebao.runtime import Runtime
from shebao.sandbox.bank.accounts import account_index as bank_account_index
from shebao.sandbox.bank.models import SandboxBankAccount, SandboxBankAgreement

DAY = date(2025, 11, 21)
CLOCK = "2025-11-21T09:00:00+08:00"
OFFICE, AGENCY, BANK, BRANCH, REGION = "11101020001", "SB110102", "102", "102100002017", "110102"
AMOUNT_FEN = 300_000
CHUNK = 10_000
SECRET = "bench-secret-key-0123456789abcdef0123456789"


def fill(runtime: Runtime, count: int, *, short_every: int = 50, start: int = 0) -> None:
    """`count` insured persons ready for a batch run on DAY (see the module's docstring)."""
    now = runtime.clock.now()
    for offset in range(start, start + count, CHUNK):
        block = range(offset, min(offset + CHUNK, start + count))
        persons, enrolments, payables, agreements, accounts, bank_agreements, settings = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        for n in block:
            person_id, enrolment_id, agreement_id, account_id = new_id(), new_id(), new_id(), new_id()
            number = f"91{n:016d}"
            name = f"缴费人{n}"
            phone = f"139{n:08d}"
            account_no = f"6222{n:015d}"
            agreement_no = f"BENCH{n:027d}"
            persons.append(
                {
                    "id": person_id,
                    "id_type": "resident_id",
                    "id_number": number,
                    "document_index": document_index("resident_id", number),
                    "name": name,
                    "taxpayer_id": number,
                    "taxpayer_index": taxpayer_index(number),
                    "phone": phone,
                    "phone_index": phone_index(phone),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            enrolments.append(
                {
                    "id": enrolment_id,
                    "person_id": person_id,
                    "scheme": "resident_pension",
                    "annual_amount_fen": AMOUNT_FEN,
                    "tax_office_code": OFFICE,
                    "agency_code": AGENCY,
                    "payables_through": "2025-12",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            payables.append(
                {
                    "id": new_id(),
                    "person_id": person_id,
                    "enrolment_id": enrolment_id,
                    "scheme": "resident_pension",
                    "levy_item": "城乡居民基本养老保险费",
                    "period_start": "2025-01",
                    "period_end": "2025-12",
                    "base_amount_fen": AMOUNT_FEN,
                    "due_date": date(2025, 12, 10),
                    "tax_office_code": OFFICE,
                    "agency_code": AGENCY,
                    "status": "to_declare",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            index = agreement_account_index(BANK, account_no)
            agreements.append(
                {
                    "id": agreement_id,
                    "agreement_no": agreement_no,
                    "payer_id": person_id,
                    "tax_office_code": OFFICE,
                    "agency_code": AGENCY,
                    "bank_code": BANK,
                    "bank_region_code": REGION,
                    "branch_code": BRANCH,
                    "holder_name": name,
                    "account_no": account_no,
                    "account_index": index,
                    "withhold": True,
                    "withhold_schemes": ["resident_pension"],
                    "status": "active",
                    "live_key": f"{index}:{OFFICE}",
                    "effective_from": date(2025, 1, 1),
                    "bank_msg_id": f"AV{n:020d}",
                    "signed_at": now,
                    "updated_at": now,
                }
            )
            accounts.append(
                {
                    "id": account_id,
                    "bank_code": BANK,
                    "account_index": bank_account_index(account_no),
                    "account_no": account_no,
                    "holder_name": name,
                    "balance_fen": 10_000 if short_every and n % short_every == 0 else 1_000_000,
                    "status": "normal",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            bank_agreements.append(
                {
                    "id": new_id(),
                    "agreement_no": agreement_no,
                    "account_id": account_id,
                    "tax_office_code": OFFICE,
                    "status": "active",
                    "created_at": now,
                }
            )
            settings.append(
                {
                    "id": new_id(),
                    "person_id": person_id,
                    "payer_id": person_id,
                    "scheme": "resident_pension",
                    "annual_amount_fen": AMOUNT_FEN,
                    "agreement_id": agreement_id,
                    "tax_office_code": OFFICE,
                    "valid_from": 2025,
                    "valid_to": 2025,
                    "status": "active",
                    "channel": "h5",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with runtime.work().step() as step:
            for model, rows in (
                (Person, persons),
                (Enrolment, enrolments),
                (Payable, payables),
                (Agreement, agreements),
                (SandboxBankAccount, accounts),
                (SandboxBankAgreement, bank_agreements),
                (ContributionSetting, settings),
            ):
                insert_rows(step.session, model, rows)


def copy_baseline(runtime: Runtime, count: int) -> float:
    """Seconds to COPY `count` rows as wide as a deduction row (ids, codes, amounts, dates) into a table."""
    raw = runtime.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "CREATE TEMP TABLE copy_baseline (id uuid, item_id text, setting_id uuid, payable_id uuid, "
            "person_id uuid, payer_id uuid, agreement_id uuid, bank_code text, scheme text, fee_year int, "
            "amount_fen bigint, run_date date, status text, declaration_id uuid, payment_id uuid, "
            "created_at timestamptz)"
        )
        now = datetime.now().astimezone()
        started = time.perf_counter()
        with cursor.copy("COPY copy_baseline FROM STDIN") as copy:  # type: ignore[attr-defined]
            for n in range(count):
                copy.write_row(
                    (
                        uuid.uuid4(),
                        f"KK{n:024d}01",
                        uuid.uuid4(),
                        uuid.uuid4(),
                        uuid.uuid4(),
                        uuid.uuid4(),
                        uuid.uuid4(),
                        BANK,
                        "resident_pension",
                        2025,
                        AMOUNT_FEN,
                        DAY,
                        "planned",
                        uuid.uuid4(),
                        uuid.uuid4(),
                        now,
                    )
                )
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


class Statements:
    """The statements this process sends during the run: count and seconds per statement text."""

    def __init__(self, engine: Any) -> None:
        self.seen: dict[str, list[float]] = {}
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        key = re.sub(r"batch_chunk_\d+", "batch_chunk_N", " ".join(statement.split()))[:110]
        entry = self.seen.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - self._started.pop()

    def report(self, items: int) -> str:
        count = int(sum(entry[0] for entry in self.seen.values()))
        seconds = sum(entry[1] for entry in self.seen.values())
        chunks = max(1, -(-items // 5000))
        rows = [f"statements: {count} in {seconds:.1f} s ({count / chunks:.0f} per chunk of 5,000 items)"]
        for key, (times, spent) in sorted(self.seen.items(), key=lambda kv: -kv[1][1])[:25]:
            rows.append(f"  {spent:7.2f} s {int(times):5d} × {key}")
        return "\n".join(rows)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bank_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", _SERVER, str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180  # the app's start takes a minute on a loaded 2-core machine
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the bank server did not start")


# The sandbox bank served by a process of its own; it prints its peak RSS when asked to stop.
_SERVER = """
import os, resource, signal, sys, uvicorn
from shebao.app import create_app
profiler = None
if os.environ.get("BENCH_PROFILE_SERVER"):
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
def _bye(*_):
    print(f"bank-rss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}", file=sys.stderr, flush=True)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.environ["BENCH_PROFILE_SERVER"])
    sys.exit(0)
signal.signal(signal.SIGTERM, _bye)
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def measure(url: str, count: int, workdir: Path, late_percent: int, statements: bool = False) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SHEBAO_ENV": "dev",
        "SHEBAO_DATABASE_URL": url,
        "SHEBAO_DATA_DIR": str(workdir),
        "SHEBAO_SECRET_KEY": SECRET,
        "SHEBAO_BASE_URL": f"http://127.0.0.1:{port}",
        "SHEBAO_CLOCK": CLOCK,
    }
    os.environ.update(env)
    settings = Settings(
        env="dev",
        database_url=url,
        secret_key=SECRET,
        data_dir=workdir,
        base_url=env["SHEBAO_BASE_URL"],
        clock=None,
    )
    runtime = Runtime.build(settings)
    upgrade(runtime.db)
    with runtime.work().step() as step:
        runtime.clock.start_at(step.session, datetime.fromisoformat(CLOCK))
        step.session.execute(
            text(
                "INSERT INTO sandbox_bank_controls (id, mode, updated_at, batch_late_percent) VALUES (1, 'normal', now(), :p)"
            ),
            {"p": late_percent},
        )
    started = time.perf_counter()
    fill(runtime, count)
    with runtime.db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    print(f"filled {count} settings in {time.perf_counter() - started:.1f} s", flush=True)
    copy_seconds = copy_baseline(runtime, count)
    copy_rate = count / copy_seconds
    print(f"baseline: COPY {count} rows in {copy_seconds:.2f} s = {copy_rate:,.0f} rows/s", flush=True)
    server = _bank_server(env, port)
    try:
        from shebao.deductions.run import run

        counted = Statements(runtime.db.engine) if statements else None
        profiler = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        summary = run(
            runtime,
            DAY,
            progress=lambda message: print(
                f"  {time.perf_counter() - started:7.2f}s … {message}", flush=True
            ),
        )
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    print(summary.render())
    bank_rss = next(
        (line.split()[1] for line in errors.decode().splitlines() if line.startswith("bank-rss")), "?"
    )
    print(f"bank server: peak RSS {bank_rss} MB")
    items = sum(line.count for line in summary.lines)
    if counted is not None:
        print(counted.report(items))
    rate = items / seconds
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    runtime.db.dispose()
    print(
        f"batch: {items} items in {seconds:.1f} s = {rate:,.0f} items/s, peak RSS {rss} MB, {rate / copy_rate:.3f} × COPY"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--settings", type=int, default=100_000)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--late-percent", type=int, default=0)
    parser.add_argument("--statements", action="store_true", help="print the run's statements by time")
    parser.add_argument(
        "--workers", type=int, default=None, help="chunks applied at once (default: exchange.WORKERS)"
    )
    args = parser.parse_args()
    if args.workers is not None:
        from shebao.deductions import exchange

        exchange.WORKERS = args.workers
    url = args.pg_url or "postgresql+psycopg://postgres@127.0.0.1:5432/shebao_bench_batch"
    own = args.pg_url is None
    admin: Any = None
    if own:
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "shebao_bench_batch" WITH (FORCE)'))
            connection.execute(text('CREATE DATABASE "shebao_bench_batch"'))
    try:
        with tempfile.TemporaryDirectory(prefix="shebao-bench-batch-") as folder:
            measure(url, args.settings, Path(folder), args.late_percent, args.statements)
    finally:
        if own and admin is not None:
            with admin.connect() as connection:
                connection.execute(text('DROP DATABASE IF EXISTS "shebao_bench_batch" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
