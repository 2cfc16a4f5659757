"""The journey bench drops its database WITH (FORCE): it must never be a test database."""

from __future__ import annotations

import os

import pytest
from bench import journey
from sqlalchemy.engine import make_url


def test_the_journey_bench_drops_only_a_scratch_database_of_its_own() -> None:
    assert journey.DEFAULT_DATABASE == "shebao_bench_journey"
    assert journey.scratch_database("shebao_bench_journey") == "shebao_bench_journey"
    # The old default was a test database's name: the script now refuses it and any other.
    for name in ("shebao_journey", "shebao_test", "shebao_ops_gw0", "postgres"):
        with pytest.raises(SystemExit, match="must start with shebao_bench_"):
            journey.scratch_database(name)


def test_no_test_database_carries_the_benches_prefix() -> None:
    url = os.environ.get("SHEBAO_TEST_DATABASE_URL")
    if url is None:
        pytest.skip("SHEBAO_TEST_DATABASE_URL unset: the test database is SQLite")
    name = make_url(url).database or ""
    assert not name.startswith(journey.SCRATCH_PREFIX), name
