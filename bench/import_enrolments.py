"""How fast `shebao import enrolments` takes resident-medical rows, on SQLite and on PostgreSQL.

    .venv/bin/python bench/import_enrolments.py [--rows 100000] [--pg-url URL] [--skip-sqlite] [--skip-pg]

For each database: a fresh database (a new SQLite file; a PostgreSQL database created and dropped
by the script), `shebao db upgrade`, then
- baseline: the same number of rows written with a bare executemany INSERT (no ORM, no encryption,
  no checks) into a scratch table of similar width, 1000 rows per transaction: what the database
  and driver alone allow on this machine, measured in the same run;
- import: the CSV imported through the real path (`agency.importer.import_csv`: checks, blind
  indexes, encryption, persons, enrolments, audit rows, one payable per row), 1000 rows per
  transaction, on the demo clock (2025-11-20, the 2026 collection window open);
- re-import: the same file again (every row `unchanged`).
It prints rows/s for each and the import's ratio to the baseline, by elapsed time and by CPU time
(this process's and its forked importers', plus on PostgreSQL the CPU of the database's server
processes, read from /proc when the server runs on this machine): on a machine shared with other work the elapsed times stretch
with the load, and the CPU ratio says what the work costs. Timings vary with the machine; nothing
here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, text
from sqlalchemy.engine import make_url

from shebao.agency.importer import JOBS, import_csv, scan
from shebao.audit.service import Actor
from shebao.config import Settings
from shebao.enrolment.rows import COLUMNS
from shebao.identity.documents import check_character
from shebao.migrate import upgrade
from shebao.runtime import Runtime

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/shebao_bench"
CLOCK = datetime.fromisoformat("2025-11-20T09:00:00+08:00")
SECRET = "bench-secret-key-0123456789abcdef0123456789"
REGIONS = (
    ("110101", "11101010001", "SB110101"),
    ("110102", "11101020001", "SB110102"),
    ("110105", "11101050001", "SB110105"),
    ("110106", "11101060001", "SB110106"),
    ("110108", "11101080001", "SB110108"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
EPOCH = date(1940, 1, 1)
DAYS = 30000  # birth dates from 1940 to about 2022


def generate(path: Path, rows: int) -> None:
    """`rows` distinct resident-medical rows with valid ID numbers, spread over five districts."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            region, office, agency = REGIONS[i % len(REGIONS)]
            born = EPOCH + timedelta(days=(i // len(REGIONS)) % DAYS)
            sequence = (i // (len(REGIONS) * DAYS)) % 1000
            body = f"{region}{born:%Y%m%d}{sequence:03d}"
            age = 2025 - born.year
            category = "student_child" if age < 18 else "elderly" if age >= 60 else "working_age"
            name = SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i // 400) % 20]
            row = {
                "id_type": "resident_id",
                "id_number": body + check_character(body),
                "name": name,
                "phone": f"139{i:08d}",
                "scheme": "resident_medical",
                "category": category,
                "tax_office_code": office,
                "agency_code": agency,
            }
            writer.writerow([row.get(column, "") for column in COLUMNS])


_CPU: dict[str, float] = {}  # CPU seconds of the last `timed` action
_POLL = 0.2  # seconds between looks at the server's processes


class ServerCpu:
    """CPU seconds of the server processes serving this database while an action runs (0 on SQLite, or
    when the server's /proc entries are not on this machine). A thread looks every `_POLL` seconds on a
    connection of its own (left out of the sum), so a backend that comes and goes during the action —
    a forked importer's connection — is counted up to its last look."""

    def __init__(self, runtime: Runtime) -> None:
        self.engine = runtime.db.engine
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ServerCpu:
        if self.engine.dialect.name == "postgresql":
            url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(url, autocommit=True)
            self.first = self._look()
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.engine.dialect.name == "postgresql":
            self.stop.set()
            self.thread.join()
            self.last.update(self._look())
            self.connection.close()

    def seconds(self) -> float:
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())

    def _watch(self) -> None:
        while not self.stop.wait(_POLL):
            self.last.update(self._look())

    def _look(self) -> dict[int, float]:
        query = (
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in self.connection.execute(query).fetchall()]
        seen = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            seen[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        return seen


def _own_cpu() -> float:
    """This process's CPU seconds and its finished children's (the importer's forked processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed(action: Callable[[], object], runtime: Runtime) -> float:
    """Elapsed seconds of `action`; its CPU seconds (this process and its children, the database
    server) in `_CPU`."""
    own = _own_cpu()
    with ServerCpu(runtime) as server:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
    _CPU["own"], _CPU["server"] = _own_cpu() - own, server.seconds()
    return elapsed


def baseline(runtime: Runtime, rows: int) -> float:
    """Seconds for a bare executemany INSERT of `rows` rows of nine short columns, 1000 per transaction."""
    metadata = MetaData()
    table = Table("bench_baseline", metadata, *(Column(f"c{n}", String(64)) for n in range(9)))
    engine = runtime.db.engine
    metadata.create_all(engine)
    values = [{f"c{n}": f"{i:020d}-{n}" for n in range(9)} for i in range(rows)]

    def run() -> None:
        for start in range(0, rows, 1000):
            with engine.begin() as connection:
                connection.execute(insert(table), values[start : start + 1000])

    seconds = timed(run, runtime)
    metadata.drop_all(engine)
    return seconds


def measure(label: str, url: str, data_dir: Path, csv_path: Path, rows: int, jobs: int) -> None:
    settings = Settings(env="dev", database_url=url, secret_key=SECRET, data_dir=data_dir, clock=CLOCK)
    runtime = Runtime.build(settings)
    try:
        upgrade(runtime.db)
        runtime.start_clock()
        layout = scan(csv_path)
        actor = Actor(type="operator", id="bench")
        base = baseline(runtime, rows)
        base_cpu = dict(_CPU)
        reports = []
        first = timed(
            lambda: reports.append(import_csv(runtime, csv_path, actor=actor, layout=layout, jobs=jobs)),
            runtime,
        )
        first_cpu = dict(_CPU)
        again = timed(
            lambda: reports.append(import_csv(runtime, csv_path, actor=actor, layout=layout, jobs=jobs)),
            runtime,
        )
        again_cpu = dict(_CPU)
        with runtime.db.engine.connect() as connection:
            payables = connection.execute(text("SELECT count(*) FROM payables")).scalar_one()
    finally:
        runtime.db.dispose()
    imported, unchanged = reports[0].count("imported"), reports[1].count("unchanged")
    print(f"{label}: {rows} rows, {jobs} import process(es)")
    print(f"  baseline (bare INSERT)   {rows / base:10.0f} rows/s  ({base:.1f} s)")
    print(
        f"  import                   {rows / first:10.0f} rows/s  ({first:.1f} s; "
        f"{imported} imported, {payables} payables)  = {base / first:.2f} × baseline"
    )
    print(f"  re-import (unchanged)    {rows / again:10.0f} rows/s  ({again:.1f} s; {unchanged} unchanged)")
    print(f"  CPU seconds (this process + database server), load average {os.getloadavg()[0]:.1f}:")
    for name, cpu in (("baseline", base_cpu), ("import", first_cpu), ("re-import", again_cpu)):
        print(f"    {name:<22} {cpu['own']:6.2f} + {cpu['server']:6.2f} = {cpu['own'] + cpu['server']:6.2f}")
    ratio = sum(base_cpu.values()) / sum(first_cpu.values())
    print(f"  import by CPU = {ratio:.2f} × baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database the script creates and drops")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument(
        "--jobs", type=int, default=JOBS, help=f"import processes on PostgreSQL (the command's: {JOBS})"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shebao-bench-") as folder:
        workdir = Path(folder)
        csv_path = workdir / "enrolments.csv"
        print(f"generating {args.rows} rows ...", flush=True)
        generate(csv_path, args.rows)
        if not args.skip_sqlite:
            measure("SQLite", f"sqlite:///{workdir / 'bench.db'}", workdir, csv_path, args.rows, args.jobs)
        if not args.skip_pg:
            url = make_url(args.pg_url)
            admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            name = url.database
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                measure("PostgreSQL", args.pg_url, workdir, csv_path, args.rows, args.jobs)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
