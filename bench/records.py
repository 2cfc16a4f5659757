"""`GET /api/v1/payment-records` over HTTP at ten million payments, beside the bare `GET /health`.

Fills a fresh PostgreSQL database (schema from the migrations) like `records_explain.py` — persons,
declarations with one item each, succeeded payments, by generate_series — but the persons whose
records are asked for are real: written through the Person model (`PersonRepository.upsert`, so
their name, document number and taxpayer ID are encrypted with shebao's own crypto and the run's
secret key), each with a consenting family member and a bearer session opened through the unit of
work. The synthetic persons carry copies of the first real person's ciphertexts (the endpoint
decrypts every payer and insured person it presents; their blind indexes stay distinct).

Then `shebao serve --workers K` runs as a subprocess, and a pool of client threads (one keep-alive
httpx client each) measures `GET /health` and then the records endpoint, alternating three queries:
the payer's records with what they paid for others (the default), a consenting family member's
records as the insured person (`payer_id`), and the payer's records by scheme and fee period. Both in
the same run against the same server, so their ratio says what the records cost beside a request that
does one `SELECT 1`. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg
from journey import drop_database, free_port, percentile, wait_healthy  # the same helpers as the journey's

SHEBAO = str(Path(sys.executable).with_name("shebao"))
DEMO_CLOCK = "2025-11-20T09:00:00+08:00"
OFFICE, AGENCY = "11101020001", "SB110102"


def person_id(n: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-7000-8000-{n:012x}")


# Persons R+1..P copy person 1's ciphertexts; declaration g belongs to person 1 + g % P and was
# declared and paid by person 1 + 7g % P; one item per declaration (its payable is not filled: the
# records do not read payables, and the foreign-key triggers are off while filling).
FILL = """
SET session_replication_role = replica;
INSERT INTO persons (id, id_type, id_number, document_index, name, taxpayer_id, taxpayer_index, created_at, updated_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'resident_id', t.id_number, md5(g::text),
       t.name, t.taxpayer_id, md5('t' || g), now(), now()
FROM generate_series(%(real)s + 1, %(persons)s) g, (SELECT * FROM persons WHERE id = %(template)s) t;
INSERT INTO declarations (id, person_id, declared_by_id, scheme, kind, channel, tax_office_code, agency_code,
                          period_start, period_end, total_fen, late_fee_fen, status, payment_status, deadline,
                          declared_at, paid_at)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(1 + g %% %(persons)s), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(1 + (g * 7) %% %(persons)s), 12, '0'))::uuid,
       (ARRAY['resident_medical','resident_pension','flexible_employment'])[1 + g %% 3], 'normal', 'h5',
       %(office)s, %(agency)s, to_char(date '2015-01-01' + (g %% 130) * interval '1 month', 'YYYY-MM'),
       to_char(date '2015-01-01' + (g %% 130) * interval '1 month', 'YYYY-MM'), 79500, 0, 'succeeded', 'paid',
       date '2030-12-31', now() - (g %% 3650) * interval '1 day', now() - (g %% 3650) * interval '1 day'
FROM generate_series(1, %(payments)s) g;
INSERT INTO declaration_items (id, declaration_id, payable_id, position, levy_item, insurance_type, period_start,
                               period_end, base_amount_fen, late_fee_fen, amount_fen)
SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-c000-' || lpad(to_hex(g), 12, '0'))::uuid, 0,
       (ARRAY[%(medical)s, %(pension)s, %(flexible)s])[1 + g %% 3],
       CASE WHEN g %% 3 = 2 THEN 'pension' END,
       to_char(date '2015-01-01' + (g %% 130) * interval '1 month', 'YYYY-MM'),
       to_char(date '2015-01-01' + (g %% 130) * interval '1 month', 'YYYY-MM'), 79500, 0, 79500
FROM generate_series(1, %(payments)s) g;
INSERT INTO payments (id, declaration_id, payer_id, person_id, method, channel, out_trade_no, amount_fen, status,
                      close_pending, duplicate, query_attempts, created_at, updated_at, expires_at, succeeded_at)
SELECT ('00000000-0000-7000-a000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(1 + (g * 7) %% %(persons)s), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(1 + g %% %(persons)s), 12, '0'))::uuid,
       'alipay', 'h5', 'SB' || g, 79500, 'succeeded', false, false, 0, now(), now(), now(),
       now() - (g %% 3650) * interval '1 day'
FROM generate_series(1, %(payments)s) g;
SET session_replication_role = origin;
ANALYZE persons; ANALYZE declarations; ANALYZE declaration_items; ANALYZE payments;
"""


def runtime_for(env: dict[str, str]):  # shebao's Runtime, imported once the env is set
    os.environ.update(env)
    from shebao.config import get_settings
    from shebao.runtime import Runtime

    get_settings.cache_clear()
    return Runtime.build(get_settings())


def write_people(env: dict[str, str], count: int) -> None:
    """Persons 1..count through the Person model (encrypted by shebao, blind-indexed), each the
    consenting family member of their neighbour (1↔2, 3↔4, …)."""
    from shebao.identity.documents import check_character, validate
    from shebao.identity.family import ConsentService
    from shebao.identity.models import FamilyMember
    from shebao.identity.repository import PersonRepository

    runtime = runtime_for(env)
    with runtime.work().step() as step:
        session, now = step.session, runtime.clock.now()
        people = []
        for n in range(1, count + 1):
            born = date(1960, 1, 1) + timedelta(days=n)
            body = f"110102{born:%Y%m%d}{n % 1000:03d}"
            document = validate("resident_id", body + check_character(body), today=runtime.clock.today())
            person, _ = PersonRepository(session).upsert(document, f"记录{n:05d}", None, now=now)
            person.id = person_id(n)  # the id the synthetic payments point at
            session.flush()
            people.append(person)
        for n, person in enumerate(people, start=1):
            member = people[n if n % 2 else n - 2]  # 1↔2, 3↔4, …
            link = FamilyMember(payer_id=person.id, member_id=member.id, relation="other", created_at=now)
            session.add(link)
            session.flush()
            ConsentService(runtime, session, member, channel="h5").grant(link.id)
    runtime.db.dispose()


def open_sessions(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """A bearer token for persons 1..count, and the id of their family member's row."""
    from sqlalchemy import select

    from shebao.identity.models import FamilyMember
    from shebao.identity.sessions import open_session

    runtime = runtime_for(env)
    found = []
    with runtime.work().step() as step:
        session = step.session
        for n in range(1, count + 1):
            link = session.scalars(select(FamilyMember.id).where(FamilyMember.payer_id == person_id(n))).one()
            _, token = open_session(
                session,
                person_id(n),
                kind="bearer",
                channel="h5",
                now=runtime.clock.now(),
                idle=timedelta(hours=6),
            )
            found.append((token, str(link)))
    runtime.db.dispose()
    return found


def levy_items() -> dict[str, str]:
    from shebao.payables.pricing import levy_item_of

    return {
        "medical": levy_item_of("resident_medical", None),
        "pension": levy_item_of("resident_pension", None),
        "flexible": levy_item_of("flexible_employment", "pension"),
    }


_clients = threading.local()


def thread_client(base: str) -> httpx.Client:
    """One keep-alive client per client thread."""
    client: httpx.Client | None = getattr(_clients, "client", None)
    if client is None:
        client = _clients.client = httpx.Client(base_url=base, timeout=60)
    return client


VARIANTS: tuple[tuple[str, Callable[[str], dict[str, str]]], ...] = (
    ("mine", lambda family: {}),  # own records and what the payer paid for others
    ("member", lambda family: {"payer_id": family}),  # a consenting member's records as the insured person
    (
        "filtered",
        lambda family: {"scheme": "resident_medical", "period_from": "2020-01", "period_to": "2025-12"},
    ),
)
VARIANT_TITLES = {
    "mine": "payer: own + paid for others",
    "member": "insured: a consenting member",
    "filtered": "payer: scheme + period filter",
}


Call = tuple[str, str, dict[str, str], str]  # tag, path, query, bearer token ("" for none)


class Run:
    """Latencies, records and records paid for others seen, per tag, and the run's wall time."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.records: Counter[str] = Counter()
        self.for_others: Counter[str] = Counter()
        self.seconds = 0.0
        self.lock = threading.Lock()

    def all(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def drive(base: str, calls: list[Call], concurrency: int) -> Run:
    """Runs the calls from `concurrency` client threads; any answer but 200 stops the run."""
    run = Run()

    def one(call: Call) -> None:
        tag, path, params, token = call
        client = thread_client(base)
        started = time.perf_counter()
        answer = client.get(
            path, params=params, headers={"Authorization": f"Bearer {token}"} if token else {}
        )
        took = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"{path} {params}: {answer.status_code} {answer.text[:300]}")
        items = answer.json().get("items", [])
        with run.lock:
            run.latencies[tag].append(took)
            run.records[tag] += len(items)
            run.for_others[tag] += sum(1 for item in items if item["for_other"])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(one, call) for call in calls]:
            future.result()
    run.seconds = time.perf_counter() - started
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=None, help="default: payments / 10")
    parser.add_argument("--people", type=int, default=200, help="real persons whose records are asked for")
    parser.add_argument("--requests", type=int, default=3000, help="of each endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--serve-workers", type=int, default=2, help="shebao serve processes")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="shebao_records", help="created and dropped by the script")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    args = parser.parse_args()
    persons = args.persons or args.payments // 10
    if not 2 <= args.people <= persons or args.people % 2:
        raise SystemExit("--people must be even and at most --persons")

    data_dir = Path(tempfile.mkdtemp(prefix="shebao-records-"))
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    host = args.admin_url.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "SHEBAO_ENV": "dev",
        "SHEBAO_DATA_DIR": str(data_dir),
        "SHEBAO_BASE_URL": base,
        "SHEBAO_DATABASE_URL": f"{host.replace('postgresql://', 'postgresql+psycopg://')}/{args.database}",
        "SHEBAO_CLOCK": DEMO_CLOCK,
        "SHEBAO_SECRET_KEY": "records-benchmark-secret-key-0123456789",
    }
    drop_database(args.admin_url, args.database)
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{args.database}"')
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
        write_people(env, args.people)
        started = time.perf_counter()
        with psycopg.connect(f"{host}/{args.database}", autocommit=True) as conn:
            psycopg.ClientCursor(conn).execute(  # several statements: bound on the client
                FILL,  # type: ignore[arg-type]
                {
                    "real": args.people,
                    "persons": persons,
                    "payments": args.payments,
                    "template": person_id(1),
                    "office": OFFICE,
                    "agency": AGENCY,
                    **levy_items(),
                },
            )
            row = conn.execute("SELECT count(*) FROM payments").fetchone()
        filled = time.perf_counter() - started
        print(f"filled {row[0] if row else 0} payments for {persons} persons in {filled:.0f} s")
        sessions = open_sessions(env, args.people)

        log = (data_dir / "server.log").open("wb")
        server = subprocess.Popen(
            [SHEBAO, "serve", "--port", str(port), "--workers", str(args.serve_workers)],
            env=env,
            stdout=log,
            stderr=log,
        )
        wait_healthy(base)
        records_calls: list[Call] = []
        for i in range(args.requests):
            token, family = sessions[i % len(sessions)]
            tag, params = VARIANTS[i % len(VARIANTS)]
            records_calls.append((tag, "/api/v1/payment-records", params(family), token))
        health_calls: list[Call] = [("health", "/health", {}, "")] * args.requests
        warm = max(len(sessions), 2 * args.concurrency)
        drive(base, health_calls[:warm] + records_calls[:warm], args.concurrency)  # both warm, pools full
        health = drive(base, health_calls, args.concurrency)
        records = drive(base, records_calls, args.concurrency)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        drop_database(args.admin_url, args.database)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(
        f"records over HTTP: {args.payments} payments, {persons} persons ({args.people} real), "
        f"{args.concurrency} client threads, {args.serve_workers} serve processes, PostgreSQL"
    )
    print(f"  {'endpoint':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'records':>8} {'for others':>10}")
    print(
        f"  {'GET /health (bare)':<34} {args.requests / health.seconds:8.1f} "
        f"{percentile(health.all(), 0.5) * 1000:8.1f} {percentile(health.all(), 0.99) * 1000:8.1f}"
    )
    everything = records.all()
    print(
        f"  {'GET /api/v1/payment-records':<34} {args.requests / records.seconds:8.1f} "
        f"{percentile(everything, 0.5) * 1000:8.1f} {percentile(everything, 0.99) * 1000:8.1f} "
        f"{records.records.total() / len(everything):8.1f} {records.for_others.total() / len(everything):10.1f}"
    )
    for tag, described in VARIANT_TITLES.items():
        values = records.latencies[tag]
        print(
            f"    {described:<32} {'':8} {percentile(values, 0.5) * 1000:8.1f} "
            f"{percentile(values, 0.99) * 1000:8.1f} {records.records[tag] / len(values):8.1f} "
            f"{records.for_others[tag] / len(values):10.1f}"
        )
    health_rate, records_rate = args.requests / health.seconds, args.requests / records.seconds
    print(
        f"ratio: one records request costs about {health_rate / records_rate:.1f} bare requests of capacity "
        f"(p50 {percentile(everything, 0.5) / percentile(health.all(), 0.5):.1f}x, "
        f"p99 {percentile(everything, 0.99) / percentile(health.all(), 0.99):.1f}x the bare endpoint's)"
    )


if __name__ == "__main__":
    main()
