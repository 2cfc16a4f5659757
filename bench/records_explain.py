"""EXPLAIN ANALYZE of the payment-records query on PostgreSQL with ten million payments.

Fills a fresh database (schema from the migrations) with synthetic rows by generate_series — persons,
declarations and their succeeded payments — then shows the plans of the two access paths of
`records.repository.RecordRepository.records`: the insured person's records and the payer's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

SHEBAO = str(Path(sys.executable).with_name("shebao"))

FILL = """
SET session_replication_role = replica;  -- synthetic rows: skip the foreign-key triggers while filling
INSERT INTO persons (id, id_type, id_number, document_index, name, taxpayer_id, taxpayer_index, created_at, updated_at)
SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'resident_id', '\\x00', md5(g::text),
       '\\x00', '\\x00', md5('t' || g), now(), now()
FROM generate_series(1, %(persons)s) g;
INSERT INTO declarations (id, person_id, declared_by_id, scheme, kind, channel, tax_office_code, agency_code,
                          period_start, period_end, total_fen, late_fee_fen, status, payment_status, deadline,
                          declared_at)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(1 + g %% %(persons)s), 12, '0'))::uuid,
       ('00000000-0000-7000-8000-' || lpad(to_hex(1 + (g * 7) %% %(persons)s), 12, '0'))::uuid,
       (ARRAY['resident_medical','resident_pension','flexible_employment'])[1 + g %% 3], 'normal', 'h5',
       '11101020001', 'SB110102', to_char(date '2015-01-01' + (g %% 130) * interval '1 month', 'YYYY-MM'),
       to_char(date '2015-01-01' + (g %% 130) * interval '1 month', 'YYYY-MM'), 79500, 0, 'succeeded', 'paid',
       date '2030-12-31', now() - (g %% 3650) * interval '1 day'
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
ANALYZE persons; ANALYZE declarations; ANALYZE payments;
"""


def records_sql(person_clause: str) -> str:
    return f"""
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT payments.*, declarations.*
FROM payments JOIN declarations ON declarations.id = payments.declaration_id
WHERE {person_clause} AND payments.status = 'succeeded'
  AND declarations.scheme = 'resident_medical' AND declarations.period_end >= '2020-01'
  AND declarations.period_start <= '2025-12'
ORDER BY payments.succeeded_at DESC, payments.id DESC
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="shebao_explain")
    args = parser.parse_args()
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{args.database}"
    env = {
        **os.environ,
        "SHEBAO_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
        "SHEBAO_ENV": "dev",
    }
    subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FILL % {"persons": args.persons, "payments": args.payments})  # type: ignore[arg-type]
        filled = time.perf_counter() - started
        count = conn.execute("SELECT count(*) FROM payments").fetchone()
        print(f"filled {count[0] if count else 0} payments for {args.persons} persons in {filled:.0f} s")
        person = uuid.UUID("00000000-0000-7000-8000-" + f"{12345:012x}")
        for title, clause in (
            ("insured person's records", "payments.person_id = %(p)s"),
            (
                "payer's records (own and paid for others)",
                "(payments.person_id = %(p)s OR payments.payer_id = %(p)s)",
            ),
        ):
            print(f"\n-- {title}")
            for (line,) in conn.execute(records_sql(clause), {"p": person}):  # type: ignore[arg-type]
                print(line)
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
