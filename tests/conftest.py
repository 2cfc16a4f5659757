"""Test fixtures: a migrated database per test (SQLite file copy, or PostgreSQL truncated after each test).

Set SHEBAO_TEST_DATABASE_URL=postgresql+psycopg://... to run the suite on PostgreSQL; without it the
suite runs on SQLite and skips the tests that need real parallel connections.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.config import TEST_SECRET

_QUEUE_DIR = tempfile.mkdtemp(prefix="shebao-test-queue-")
os.environ["SHEBAO_DATA_DIR"] = _QUEUE_DIR
os.environ.pop("SHEBAO_REDIS_URL", None)
os.environ.pop("SHEBAO_DATABASE_URL", None)
os.environ["SHEBAO_ENV"] = "test"

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from shebao import jobs  # noqa: E402
from shebao.app import create_app  # noqa: E402
from shebao.config import Settings  # noqa: E402
from shebao.migrate import upgrade  # noqa: E402
from shebao.models import Base  # noqa: E402
from shebao.runtime import Runtime  # noqa: E402
from tests.support.people import transaction  # noqa: E402

jobs.huey.immediate = True

# Shared arrangements (the demo-like world of payers), usable from every test package.
pytest_plugins = ["tests.support.world", "tests.support.dashboards"]


def _per_worker(url: str | None) -> str | None:
    """Each pytest-xdist worker gets a database of its own beside the given one (`<name>_gw0`, …):
    the fixtures empty the database after every test, so workers must not share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url is None or worker is None:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _per_worker(os.environ.get("SHEBAO_TEST_DATABASE_URL"))
REFERENCE_TABLES = {"regions", "tax_offices", "agencies", "banks", "bank_branches", "alembic_version"}


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(env="test", database_url=url, secret_key=TEST_SECRET, data_dir=data_dir, clock=None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs real parallel connections: runs in the PostgreSQL pass")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    runtime = Runtime.build(_settings(f"sqlite:///{path}", folder))
    upgrade(runtime.db)
    runtime.db.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    assert PG_URL
    runtime = Runtime.build(_settings(PG_URL, tmp_path_factory.mktemp("pg")))
    with runtime.db.engine.begin() as conn:
        tables = [t.name for t in Base.metadata.sorted_tables]
        existing = (
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'")).scalars().all()
        )
        if existing:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    del tables
    upgrade(runtime.db)
    yield runtime
    runtime.db.dispose()


def _truncate(runtime: Runtime) -> None:
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with runtime.db.engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if PG_URL:
        pg: Runtime = request.getfixturevalue("_pg_runtime")
        pg.clock._read_at = float("-inf")  # forget the cached offset of the previous test
        # The runtime is shared by every test: undo what a previous test changed in its settings.
        pg.settings = pg.db.settings = _settings(PG_URL, pg.settings.data_dir)
        pg.adapters.clear()
        jobs.use_runtime(pg)
        try:
            yield pg
        finally:
            _truncate(pg)
        return
    template: Path = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "shebao.db"
    shutil.copyfile(template, path)
    runtime = Runtime.build(_settings(f"sqlite:///{path}", tmp_path))
    jobs.use_runtime(runtime)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def is_postgres() -> bool:
    return PG_URL is not None


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """A session for arranging and asserting; the code under test opens its own."""
    with runtime.db.session(write=False) as session:
        yield session


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    return create_app(runtime=runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def set_now(runtime: Runtime):  # type: ignore[no-untyped-def]
    """Start the service clock at a given moment (it then runs forward in real time)."""

    def _set(moment: str | datetime) -> datetime:
        value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        with transaction(runtime) as s:
            runtime.clock.start_at(s, value)
        return value

    return _set


@pytest.fixture
def routed(app):  # type: ignore[no-untyped-def]
    """Outgoing provider calls and the sandboxes' notifications reach the app under test in-process."""
    from tests.support.providers import routed_to

    with routed_to(app):
        yield
