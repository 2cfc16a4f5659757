"""EXPLAIN ANALYZE of the console's audit search (审计日志) on PostgreSQL with millions of audit rows.

Fills a fresh database (schema from the migrations) with synthetic audit rows by generate_series —
two years of payments, declarations, refunds and console actions, one row in twenty by an operator —
then runs `console.auditlog.search` itself (as an admin of all offices), one filter at a time (first page of 50, then the page after
it by its keyset cursor), and prints the plan PostgreSQL chose for each query it sent, with its time as
a ratio to a full count of the table measured in the same run. (The payer filter goes through the
(object_type, object_id) index the log has had from the start; it needs real encrypted persons and is
not run here.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import ColumnElement, create_engine, event, true
from sqlalchemy.orm import Session

from shebao.audit.labels import ACTION_LABELS
from shebao.console.auditlog import AuditFilter, search
from shebao.kit.pagination import PageRequest, page_request

SHEBAO = str(Path(sys.executable).with_name("shebao"))
PERSON = uuid.UUID("00000000-0000-7000-8000-000000003039")
MAY_FIRST, MAY_LAST = date(2026, 5, 1), date(2026, 5, 31)

FILL = """
-- synthetic rows: no triggers while filling
SET session_replication_role = replica;
INSERT INTO persons (id, id_type, id_number, document_index, name, taxpayer_id, taxpayer_index, created_at,
                     updated_at)
VALUES (%(person)s, 'resident_id', '\\x00', md5('p'), '\\x00', '\\x00', md5('t'), now(), now());
INSERT INTO audit_log (id, occurred_at, actor_type, actor_id, channel, action, object_type, object_id, after)
SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(g), 12, '0'))::uuid,
       timestamptz '2026-11-29 00:00+00' - (g * interval '31 seconds'),
       CASE WHEN g %% 20 = 0 THEN 'operator' WHEN g %% 3 = 0 THEN 'provider' WHEN g %% 3 = 1 THEN 'payer'
            ELSE 'system' END,
       CASE WHEN g %% 20 = 0 THEN 'op' || (g / 20) %% 200 WHEN g %% 3 = 1 THEN md5(g::text) END,
       'h5',
       (%(actions)s::text[])[1 + (g * 7) %% %(kinds)s],
       split_part((%(actions)s::text[])[1 + (g * 7) %% %(kinds)s], '.', 1),
       CASE WHEN g %% 100000 = 0 THEN %(person_text)s
            ELSE '00000000-0000-7000-c000-' || lpad(to_hex(g / 3), 12, '0') END,
       '{"status": "succeeded"}'::json
FROM generate_series(1, %(rows)s) g;
SET session_replication_role = origin;
ANALYZE audit_log;
ANALYZE persons;
"""


class AllOffices:
    def sees_office(self, code: str | None) -> bool:
        return True

    def office_filter(self, column: Any) -> ColumnElement[bool]:
        return true()


def _filters() -> list[tuple[str, AuditFilter]]:
    return [
        ("no filter (newest first)", AuditFilter()),
        ("operator", AuditFilter(operator="op17")),
        ("action", AuditFilter(action="refund.succeeded")),
        ("object type", AuditFilter(object_type="agreement")),
        ("one day", AuditFilter(since=date(2026, 6, 1), until=date(2026, 6, 1))),
        ("operator and a month", AuditFilter(operator="op17", since=MAY_FIRST, until=MAY_LAST)),
        ("action and a month", AuditFilter(action="payment.succeeded", since=MAY_FIRST, until=MAY_LAST)),
    ]


def _explained(session: Session, title: str, wanted: AuditFilter, page: PageRequest, baseline: float) -> str:
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "FROM audit_log" in statement:
            sent.append((statement, parameters))

    event.listen(session.get_bind(), "before_cursor_execute", capture)
    try:
        rows, cursor = search(session, AllOffices(), wanted, page)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as db:
        db.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
        plan = [line for (line,) in db.fetchall()]
    took = next(float(line.split(":")[1].split()[0]) for line in plan if line.startswith("Execution Time"))
    print(f"\n-- {title}: {len(rows)} rows, {took:.2f} ms = {took / baseline:.4f} × count(*)")
    print("\n".join(plan))
    return cursor or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="shebao_audit_explain")
    args = parser.parse_args()
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    env = {**os.environ, "SHEBAO_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://")}
    env["SHEBAO_ENV"] = "dev"
    subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
    actions = sorted(ACTION_LABELS)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        values = {"rows": args.rows, "actions": actions, "kinds": len(actions), "person": PERSON}
        for step in FILL.split(";\n"):
            if step.strip():
                conn.execute(step, values | {"person_text": str(PERSON)})  # type: ignore[arg-type]
        print(f"filled {args.rows} audit rows in {time.perf_counter() - started:.0f} s")
        begun = time.perf_counter()
        conn.execute("SELECT count(*) FROM audit_log")
        baseline = (time.perf_counter() - begun) * 1000
        print(f"baseline: count(*) of audit_log {baseline:.1f} ms")
    engine = create_engine(env["SHEBAO_DATABASE_URL"])
    with Session(engine) as session:
        for title, wanted in _filters():
            cursor = _explained(session, title, wanted, PageRequest(limit=50), baseline)
            if cursor:
                after = page_request(limit=50, cursor=cursor)
                _explained(session, f"{title}, next page", wanted, after, baseline)
    engine.dispose()
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
