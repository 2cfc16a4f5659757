"""The payer's journey over HTTP: declare → pay at the sandbox cashier → notification → paid.

Runs `shebao serve` and `shebao worker` as separate processes on PostgreSQL (queue on Redis), drives
N payers through the JSON API from a pool of client threads, and measures pgbench's TPC-B on the same
PostgreSQL in the same run, so the journeys/s figure comes with the database's own ceiling beside it.
Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
SHEBAO = str(Path(sys.executable).with_name("shebao"))
DEMO_CLOCK = "2025-11-20T09:00:00+08:00"
STEPS = ("payables", "declare", "pay", "cashier", "settled")
# The script drops its database WITH (FORCE): its name carries the benches' prefix, which no test database
# and no engineer's `shebao_NAME` database uses (`shebao_journey` was a test database's name too).
SCRATCH_PREFIX = "shebao_bench_"
DEFAULT_DATABASE = f"{SCRATCH_PREFIX}journey"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def scratch_database(name: str) -> str:
    """`name` if the script may drop it: only a bench's own scratch database."""
    if not name.startswith(SCRATCH_PREFIX):
        raise SystemExit(
            f"--database {name}: dropped and recreated, so its name must start with {SCRATCH_PREFIX}"
        )
    return name


def recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_enrolments(path: Path, payers: int, *, first: int = 0) -> list[tuple[str, str]]:
    from shebao.identity.documents import check_character

    people = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id_type",
                "id_number",
                "name",
                "phone",
                "scheme",
                "category",
                "insurance_types",
                "monthly_base_yuan",
                "annual_amount_yuan",
                "tax_office_code",
                "agency_code",
                "period_start",
                "period_end",
            ]
        )
        for index in range(first, first + payers):
            born = date(1970, 1, 1) + timedelta(days=index // 1000)  # a thousand people a birthday
            body = f"110102{born:%Y%m%d}{index % 1000:03d}"
            number = body + check_character(body)
            name = f"测试{index:05d}"
            people.append((name, number))
            writer.writerow(
                [
                    "resident_id",
                    number,
                    name,
                    "",
                    "resident_medical",
                    "working_age",
                    "",
                    "",
                    "",
                    "11101020001",
                    "SB110102",
                    "",
                    "",
                ]
            )
    return people


def open_sessions(env: dict[str, str], people: list[tuple[str, str]]) -> list[str]:
    """Bearer sessions opened directly (the login steps are not part of this journey)."""
    os.environ.update(env)
    from shebao.config import get_settings
    from shebao.identity.repository import PersonRepository
    from shebao.identity.sessions import open_session
    from shebao.runtime import Runtime

    get_settings.cache_clear()
    runtime = Runtime.build(get_settings())
    tokens = []
    with runtime.work().step() as step:
        session = step.session
        for _, number in people:
            person = PersonRepository(session).by_document("resident_id", number)
            assert person is not None
            _, token = open_session(
                session,
                person.id,
                kind="bearer",
                channel="h5",
                now=runtime.clock.now(),
                idle=timedelta(hours=2),
            )
            tokens.append(token)
    runtime.db.dispose()
    return tokens


def wait_healthy(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not come up")


class Timings:
    def __init__(self) -> None:
        self.values: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    def add(self, step: str, seconds: float) -> None:
        with self.lock:
            self.values[step].append(seconds)


def timed(timings: Timings, step: str, call: Callable[[], httpx.Response]) -> httpx.Response:
    started = time.perf_counter()
    answer = call()
    timings.add(step, time.perf_counter() - started)
    if answer.status_code >= 400:
        raise RuntimeError(f"{step}: {answer.status_code} {answer.text[:200]}")
    return answer


_clients = threading.local()


def thread_client(base: str) -> httpx.Client:
    """One keep-alive client per client thread: a new one per journey would spend the clients' share of
    the two cores building TLS contexts (half of this process's samples), not driving the server."""
    client: httpx.Client | None = getattr(_clients, "client", None)
    if client is None:
        client = _clients.client = httpx.Client(base_url=base, timeout=30)
    return client


def journey(base: str, token: str, timings: Timings) -> None:
    client = thread_client(base)
    client.headers["Authorization"] = f"Bearer {token}"
    payables = timed(
        timings,
        "payables",
        lambda: client.get("/api/v1/payables", params={"scheme": "resident_medical", "status": "to_declare"}),
    )
    ids = [item["id"] for item in payables.json()["items"]]
    declared = timed(
        timings, "declare", lambda: client.post("/api/v1/declarations", json={"payable_ids": ids})
    )
    paid = timed(
        timings,
        "pay",
        lambda: client.post(
            "/api/v1/payments", json={"declaration_id": declared.json()["id"], "method": "alipay"}
        ),
    )
    payment = paid.json()
    timed(timings, "cashier", lambda: client.post(f"/sandbox/alipay/trades/{payment['out_trade_no']}/pay"))
    started = time.perf_counter()
    while True:  # the worker delivers the provider's notification; the server applies it
        # A long poll, as a result page asks: the answer comes once the outcome is applied (or after
        # `wait` seconds), not a request every few milliseconds.
        status = client.get(f"/api/v1/payments/{payment['id']}", params={"wait": 10}).json()["status"]
        if status == "succeeded":
            break
        if time.perf_counter() - started > 60:
            raise RuntimeError("payment not settled within 60 s")
        time.sleep(0.05)
    timings.add("settled", time.perf_counter() - started)


def pgbench_tps(admin_url: str, clients: int, seconds: int) -> float:
    name = "shebao_pgbench"
    recreate_database(admin_url, name)
    try:
        common = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
        subprocess.run(["pgbench", *common, "-i", "-s", "5", "-q", name], check=True, capture_output=True)
        result = subprocess.run(
            ["pgbench", *common, "-c", str(clients), "-j", "2", "-T", str(seconds), name],
            check=True,
            capture_output=True,
            text=True,
        )
        for line in result.stdout.splitlines():
            if line.startswith("tps = "):
                return float(line.split()[2])
        raise RuntimeError(result.stdout)
    finally:
        drop_database(admin_url, name)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu(processes: list[subprocess.Popen[bytes]], admin_url: str, database: str) -> dict[str, float]:
    """CPU seconds so far of the serve processes, the worker, the database's backends and this process
    (the client threads): where a journey's cost lands."""
    serve, worker = processes
    with psycopg.connect(admin_url, autocommit=True) as conn:
        backends = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
            )
        ]
    return {
        "serve": sum(cpu_seconds(pid) for pid in [serve.pid, *children(serve.pid)]),
        "worker": cpu_seconds(worker.pid),
        "postgres backends": sum(cpu_seconds(pid) for pid in backends),
        "bench clients": cpu_seconds(os.getpid()),
    }


def memory(processes: list[subprocess.Popen[bytes]], admin_url: str, database: str) -> dict[str, float]:
    """RSS of every process of the deployment: each serve process, the worker, and the database's
    backends (their RSS counts the shared buffers they touched, so it grows as they warm up)."""
    serve, worker = processes
    sizes = {f"serve {n}": rss_mb(pid) for n, pid in enumerate([serve.pid, *children(serve.pid)])}
    sizes["worker"] = rss_mb(worker.pid)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        pids = [
            row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        ]
    sizes["postgres backends"] = sum(rss_mb(pid) for pid in pids)
    return sizes


def soak(
    args: argparse.Namespace,
    env: dict[str, str],
    base: str,
    data_dir: Path,
    processes: list[subprocess.Popen[bytes]],
    *,
    capacity: float,
) -> list[str]:
    """Journeys at half the capacity just measured, for `args.minutes`: memory at the start and the end
    of every process, and every failed journey counted (none expected)."""
    rate = capacity / 2
    count = int(rate * args.minutes * 60) + 1
    csv_path = data_dir / "soak.csv"
    people = write_enrolments(csv_path, count, first=args.payers)
    subprocess.run([SHEBAO, "import", "enrolments", str(csv_path)], env=env, check=True, capture_output=True)
    tokens = open_sessions(env, people)
    start = memory(processes, args.admin_url, args.database)
    timings, errors, lock = Timings(), Counter[str](), threading.Lock()

    def one(token: str) -> None:
        try:
            journey(base, token, timings)
        except Exception as exc:  # counted, never fatal: a soak reports its errors
            with lock:
                errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for n, token in enumerate(tokens):
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, token)
    elapsed = time.perf_counter() - began
    end = memory(processes, args.admin_url, args.database)
    lines = [
        f"soak: {elapsed / 60:.1f} min at {rate:.1f} journeys/s (half the measured {capacity:.1f}/s): "
        f"{count} journeys, {sum(errors.values())} errors",
        f"  {'RSS MB':<24} {'start':>8} {'end':>8}",
    ]
    for name in [*start, *(n for n in end if n not in start)]:
        lines.append(f"  {name:<24} {start.get(name, 0):8.1f} {end.get(name, 0):8.1f}")
    lines.append(
        f"  journey p50/p99 ms: pay {percentile(timings.values['pay'], 0.5) * 1000:.0f}/"
        f"{percentile(timings.values['pay'], 0.99) * 1000:.0f}, settled "
        f"{percentile(timings.values['settled'], 0.5) * 1000:.0f}/{percentile(timings.values['settled'], 0.99) * 1000:.0f}"
    )
    lines += [f"  error x{n}: {what}" for what, n in errors.most_common(10)]
    return lines


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        type=scratch_database,
        help="created and dropped by the script",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--serve-workers", type=int, default=2, help="shebao serve processes")
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument(
        "--minutes",
        type=float,
        default=0,
        help="then a soak: journeys at half the measured capacity for this long, memory and errors reported",
    )
    args = parser.parse_args()
    soak_report: list[str] = []

    data_dir = Path(tempfile.mkdtemp(prefix="shebao-journey-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SHEBAO_ENV": "dev",
        "SHEBAO_DATA_DIR": str(data_dir),
        "SHEBAO_BASE_URL": base,
        "SHEBAO_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}",
        "SHEBAO_REDIS_URL": args.redis_url,
        "SHEBAO_CLOCK": DEMO_CLOCK,
        "SHEBAO_SECRET_KEY": "journey-benchmark-secret-key-0123456789",
    }
    recreate_database(args.admin_url, args.database)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
        people = write_enrolments(data_dir / "enrolments.csv", args.payers)
        subprocess.run(
            [SHEBAO, "import", "enrolments", str(data_dir / "enrolments.csv")],
            env=env,
            check=True,
            capture_output=True,
        )
        tokens = open_sessions(env, people)
        log = (data_dir / "server.log").open("wb")
        processes.append(
            subprocess.Popen(
                [SHEBAO, "serve", "--port", str(port), "--workers", str(args.serve_workers)],
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        processes.append(
            subprocess.Popen([SHEBAO, "worker", "--threads", "4"], env=env, stdout=log, stderr=log)
        )
        wait_healthy(base)
        timings = Timings()
        cpu_before = cpu(processes, args.admin_url, args.database)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for future in [pool.submit(journey, base, token, timings) for token in tokens]:
                future.result()
        elapsed = time.perf_counter() - started
        cpu_after = cpu(processes, args.admin_url, args.database)
        if args.minutes:
            soak_report = soak(args, env, base, data_dir, processes, capacity=args.payers / elapsed)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        drop_database(args.admin_url, args.database)
        shutil.rmtree(data_dir, ignore_errors=True)

    journeys_per_second = args.payers / elapsed
    print(
        f"journeys: {args.payers} payers, {args.concurrency} client threads, {args.serve_workers} serve "
        f"processes + 1 worker, PostgreSQL + Redis"
    )
    print(f"  {journeys_per_second:.1f} journeys/s ({elapsed:.1f} s)")
    print(f"  {'step':<10} {'p50 ms':>8} {'p99 ms':>8}")
    for step in STEPS:
        values = timings.values[step]
        print(f"  {step:<10} {percentile(values, 0.5) * 1000:8.1f} {percentile(values, 0.99) * 1000:8.1f}")
    mean = statistics.mean(
        sum(timings.values[s][i] for s in STEPS) for i in range(len(timings.values["pay"]))
    )
    print(f"  whole journey mean {mean * 1000:.1f} ms")
    spent = {name: cpu_after[name] - cpu_before.get(name, 0) for name in cpu_after}
    print(
        "  CPU ms per journey: "
        + ", ".join(f"{name} {seconds * 1000 / args.payers:.1f}" for name, seconds in spent.items())
        + f" (load average {os.getloadavg()[0]:.1f})"
    )
    tps = pgbench_tps(args.admin_url, args.concurrency, args.pgbench_seconds)
    print(f"pgbench TPC-B (scale 5, {args.concurrency} clients, same server, same run): {tps:.0f} tps")
    print(
        f"ratio: one journey costs about {tps / journeys_per_second:.0f} TPC-B transactions of capacity "
        f"({journeys_per_second / tps:.4f} journeys per TPC-B transaction)"
    )
    for line in soak_report:
        print(line)


if __name__ == "__main__":
    main()
