"""The console's dashboards (统计) over a year of payments on PostgreSQL, beside one plain scan.

Fills a fresh database (schema from the migrations) by generate_series: `--payments` declarations, each
with one payment spread over the 365 days before the demo day, across `--offices` tax offices, three
schemes, five methods, six channels and six statuses; `--deductions` batch deductions with their
payables (a tenth failed, for one of three reasons). Then, through the real code
(`console.dashboards.service.Dashboards`, as the endpoints call it) and for the default range (the last
30 days), each figure as an office's viewer and as an admin of all offices: the best of `--repeat` runs.
The baseline is `count(*)`, `sum(amount_fen)` over the whole payments table in the same run: each
figure's ratio says how many plain scans of the table it costs. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from journey import drop_database  # the same helper as the journey's

SHEBAO = str(Path(sys.executable).with_name("shebao"))
TODAY = date(2025, 11, 20)
OFFICES = [
    "11101010001", "11101010002", "11101020001", "11101020002", "11101050001", "11101050002",
    "11101060001", "11101070001", "11101080001", "11101080002", "11101120001", "11101140001",
]  # fmt: skip

FILL = """
SET session_replication_role = replica;
INSERT INTO declarations (id, person_id, declared_by_id, scheme, kind, channel, tax_office_code, agency_code,
                          period_start, period_end, total_fen, late_fee_fen, status, payment_status, deadline,
                          declared_at, paid_at)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid, %(person)s, %(person)s,
       (ARRAY['resident_medical','resident_pension','flexible_employment'])[1 + g %% 3], 'normal',
       (ARRAY['h5','alipay_mp','wechat_mp','baidu_mp','counter','bank'])[1 + g %% 6],
       (%(offices)s::text[])[1 + (g / 7) %% %(office_count)s], 'SB110102', '2025-11', '2025-11',
       1000 + g %% 500000, 0, 'succeeded', 'paid', date '2030-12-31',
       %(start)s::timestamptz - (g %% 525600) * interval '1 minute', NULL
FROM generate_series(1, %(payments)s) g;
INSERT INTO payments (id, declaration_id, payer_id, person_id, method, channel, out_trade_no, amount_fen, status,
                      close_pending, duplicate, query_attempts, created_at, updated_at, expires_at, succeeded_at)
SELECT ('00000000-0000-7000-a000-' || lpad(to_hex(g), 12, '0'))::uuid,
       ('00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'))::uuid, %(person)s, %(person)s,
       (ARRAY['alipay','wechat','unionpay','agreement','elsewhere'])[1 + g %% 5],
       (ARRAY['h5','alipay_mp','wechat_mp','baidu_mp','counter','bank'])[1 + g %% 6], 'DB' || g,
       1000 + g %% 500000,
       (ARRAY['succeeded','succeeded','succeeded','succeeded','succeeded','succeeded','failed','closed',
              'pending','unknown'])[1 + g %% 10],
       false, false, 0, %(start)s::timestamptz - (g %% 525600) * interval '1 minute', now(), now(),
       CASE WHEN g %% 10 < 6 THEN %(start)s::timestamptz - (g %% 525600) * interval '1 minute' END
FROM generate_series(1, %(payments)s) g;
INSERT INTO payables (id, person_id, enrolment_id, scheme, insurance_type, levy_item, period_start, period_end,
                      base_amount_fen, due_date, tax_office_code, agency_code, status, created_at, updated_at)
SELECT ('00000000-0000-7000-c000-' || lpad(to_hex(g), 12, '0'))::uuid, %(person)s, %(person)s,
       'resident_pension', NULL, 'x' || g, '2025', '2025', 300000, date '2025-12-31',
       (%(offices)s::text[])[1 + (g / 7) %% %(office_count)s], 'SB110102', 'declared', now(), now()
FROM generate_series(1, %(deductions)s) g;
INSERT INTO deductions (id, deduction_no, item_id, attempt, setting_id, payable_id, person_id, payer_id,
                        agreement_id, bank_code, scheme, fee_year, amount_fen, run_date, run_id, status,
                        declaration_id, declaration_item_id, new_declaration, deadline, payment_id,
                        failure_code, failure_reason, created_at, updated_at)
SELECT ('00000000-0000-7000-d000-' || lpad(to_hex(g), 12, '0'))::uuid, 'D' || g, 'D' || g || '-1', 1,
       %(person)s, ('00000000-0000-7000-c000-' || lpad(to_hex(g), 12, '0'))::uuid, %(person)s, %(person)s,
       %(person)s, '102', 'resident_pension', 2025, 300000, %(today)s - (g %% 365), %(person)s,
       CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'succeeded' END, %(person)s, %(person)s, true,
       date '2025-12-31', %(person)s,
       CASE WHEN g %% 10 = 0 THEN '3' || (g / 10) %% 3 END,
       CASE WHEN g %% 10 = 0 THEN (ARRAY['余额不足','协议已撤销','账户已冻结'])[1 + (g / 10) %% 3] END, now(), now()
FROM generate_series(1, %(deductions)s) g;
SET session_replication_role = origin;
ANALYZE declarations; ANALYZE payments; ANALYZE payables; ANALYZE deductions;
"""


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, answer = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = run()
        best = min(best, time.perf_counter() - started)
    return best, answer


def measure(env: dict[str, str], repeat: int) -> None:
    os.environ.update(env)
    from sqlalchemy import text

    from shebao.config import get_settings
    from shebao.console.dashboards.figures import Dimension
    from shebao.console.dashboards.service import Dashboards
    from shebao.console.staff import Role, Staff
    from shebao.runtime import Runtime

    get_settings.cache_clear()
    runtime = Runtime.build(get_settings())
    scan = text("SELECT count(*), sum(amount_fen) FROM payments")
    with runtime.db.session() as session:
        baseline, _ = best_of(repeat, lambda: session.execute(scan).one())
        print(f"baseline  count(*), sum(amount_fen) over all payments: {baseline * 1000:8.1f} ms")
        staffs = [
            ("office viewer", Staff(uuid.uuid4(), "viewer", Role.VIEWER, OFFICES[2])),
            ("admin, all offices", Staff(uuid.uuid4(), "admin", Role.ADMIN, None)),
        ]
        for who, staff in staffs:
            dashboards = Dashboards(session, staff)
            query = dashboards.query(start=None, end=None, tax_office=None, today=TODAY)
            figures: list[tuple[str, Callable[[], list[Any]]]] = [
                (f"collections by {by.value}", partial(dashboards.collections, by, query)) for by in Dimension
            ]
            figures.append(("payments by status", partial(dashboards.payments_by_status, query)))
            figures.append(("batch outcomes", partial(dashboards.batch_outcomes, query)))
            total = 0.0
            for name, figure in figures:
                took, rows = best_of(repeat, figure)
                total += took
                print(
                    f"{who:20} {name:26} {took * 1000:8.1f} ms  {took / baseline:5.2f} × scan  {len(rows):4} rows"
                )
            print(
                f"{who:20} {'the page (six figures)':26} {total * 1000:8.1f} ms  {total / baseline:5.2f} × scan"
            )
    runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--deductions", type=int, default=None, help="default: payments / 10")
    parser.add_argument("--offices", type=int, default=len(OFFICES), help=f"at most {len(OFFICES)}")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="shebao_dashbench", help="created and dropped by the script")
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN by hand)")
    args = parser.parse_args()
    host = args.admin_url.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "SHEBAO_ENV": "dev",
        "SHEBAO_DATA_DIR": tempfile.mkdtemp(prefix="shebao-dashbench-"),
        "SHEBAO_DATABASE_URL": f"{host.replace('postgresql://', 'postgresql+psycopg://')}/{args.database}",
        "SHEBAO_SECRET_KEY": "dashboards-benchmark-secret-key-0123456789",
    }
    drop_database(args.admin_url, args.database)
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{args.database}"')
    try:
        subprocess.run([SHEBAO, "db", "upgrade"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        with psycopg.connect(f"{host}/{args.database}", autocommit=True) as conn:
            offices = OFFICES[: max(1, min(args.offices, len(OFFICES)))]
            psycopg.ClientCursor(conn).execute(  # several statements: bound on the client
                FILL,  # type: ignore[arg-type]
                {
                    "payments": args.payments,
                    "deductions": args.deductions if args.deductions is not None else args.payments // 10,
                    "offices": offices,
                    "office_count": len(offices),
                    "person": uuid.UUID(int=1),
                    "start": "2025-11-20T09:00:00+08:00",
                    "today": TODAY,
                },
            )
        print(f"filled {args.payments} payments in {time.perf_counter() - started:.0f} s")
        measure(env, args.repeat)
    finally:
        if not args.keep:
            drop_database(args.admin_url, args.database)


if __name__ == "__main__":
    main()
