"""`/health` when PostgreSQL drops the app's connections (a restart, pg_terminate_backend): it answers 503
at once, then 200 on a new connection; it never leaves the load balancer waiting."""

from __future__ import annotations

import psycopg
import pytest


def test_health_answers_503_then_recovers_from_killed_connections(client, runtime, is_postgres: bool) -> None:  # type: ignore[no-untyped-def]
    if not is_postgres:
        pytest.skip("pg_terminate_backend: PostgreSQL only (SQLite has no server to drop a connection)")
    assert client.get("/health").json() == {"status": "ok"}
    url = runtime.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        # Every other connection to this database, the app's pooled ones among them, as a restart would.
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed is not None and killed[0] >= 1

    # The request that meets the dead connection: before, its commit raised on the failed transaction
    # after /health had caught the error, and no answer was sent.
    # (Or the service clock's read met it first: the same 503, in the API's error form.)
    lost = client.get("/health")
    assert lost.status_code == 503, lost.text
    assert client.get("/health").json() == {"status": "ok"}  # the pool reconnected by itself
