"""Engine, sessions and the declarative base.

Services never commit: the request (or the task) that opened the session does. Every path that
changes money opens a *write session*: on SQLite it starts with `BEGIN IMMEDIATE`, taking the single
write lock before the first read, so two writers never read the same state and both act on it; on
PostgreSQL it is an ordinary transaction and the services take row locks (`with_for_update`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    Update,
    any_,
    create_engine,
    event,
    insert,
    literal,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from shebao.config import Settings
from shebao.errors import ShebaoError

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; SQLite hands naive values back, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time must carry its zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (SQLAlchemy's pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A request waits at most this long for a free connection, then answers 503 with Retry-After (app.py)
# rather than hold its client until the client gives up.
POOL_TIMEOUT_SECONDS = 10
POOL_RECYCLE_SECONDS = 600


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_timeout=POOL_TIMEOUT_SECONDS
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        # No pre-ping: it costs a round trip on every checkout (5.5% of a serve process). Connections are
        # recycled before a server or proxy idle timeout drops them; a connection lost anyway fails one
        # statement, and SQLAlchemy then invalidates the pool.
        pool_recycle=POOL_RECYCLE_SECONDS,
    )


class Database:
    """One engine per process and the two kinds of session it hands out."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.sqlalchemy_url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_engine = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine, expire_on_commit=False)

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def forget_inherited_connections(self) -> None:
        """In a forked process: open connections of its own from now on. The pool's connections are
        the parent's: they are forgotten, not closed (closing would end the parent's sessions)."""
        self.engine.dispose(close=False)


def answers(session: Session) -> bool:
    """Whether the database answers `SELECT 1` on the session's connection (`/health`). A connection that
    is gone (a PostgreSQL restart, pg_terminate_backend) leaves a failed transaction: it is ended here,
    or the step's commit raised on it and the request never answered; the pool then reconnects."""
    try:
        session.execute(text("SELECT 1"))
    except Exception:
        session.rollback()
        return False
    return True


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction commits (jobs are enqueued after commit)."""

    def _run(_session: Session) -> None:
        callback()

    event.listen(session, "after_commit", _run, once=True)


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """New rows of one table in bulk, in the session's transaction.

    On PostgreSQL through COPY: one stream instead of a statement per row (an executemany INSERT is
    parsed, bound and answered row by row, which dominated the enrolment import). Values pass through
    each column's bind processing (encryption, UTC times, JSON) and Python-side defaults as an ORM
    INSERT would apply them. Elsewhere one executemany INSERT.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(model), list(rows))
        return
    table: Table = model.__table__  # type: ignore[assignment]  # mapped classes map tables
    columns = [column for column in table.columns if _copied(column, rows[0])]
    processors = [_copy_processor(column, connection.dialect) for column in columns]
    names = ", ".join(connection.dialect.identifier_preparer.quote(column.name) for column in columns)
    statement = f"COPY {connection.dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    plan = list(zip(columns, [column.key for column in columns], processors, strict=True))
    driver_connection = connection.connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        write = copy.write_row
        for row in rows:
            values = []
            for column, key, process in plan:
                value = row[key] if key in row else _default(column)
                values.append(process(value) if process is not None and value is not None else value)
            write(values)


def _copy_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """A column's bind processing for COPY. A time column's value is mostly the step's `now` in every
    row: it is converted once and reused while the same object comes. A binary column's value goes as
    the bytes themselves, not wrapped for the DB-API (psycopg formats bare bytes in C, the wrapper in
    Python); an encrypted one is still encrypted value by value."""
    column_type = column.type
    if isinstance(column_type, UTCDateTime):
        convert = column_type.process_bind_param
        last: list[Any] = [None, None]

        def same_time(value: Any) -> Any:
            if value is not last[0]:
                last[0], last[1] = value, convert(value, dialect)
            return last[1]

        return same_time
    if isinstance(column_type, TypeDecorator) and isinstance(column_type.impl_instance, LargeBinary):
        bind = column_type.process_bind_param
        return lambda value: bind(value, dialect)
    return column_type.bind_processor(dialect)


def bulk_update(entity: type[Base]) -> Update:
    """An UPDATE of many rows that leaves the session's objects alone: the ORM's default would fetch
    every changed primary key back to find loaded objects (a batch step has none loaded)."""
    return update(entity).execution_options(synchronize_session=False)


def one_of(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values` for thousands of values: on PostgreSQL one array parameter (`= ANY(…)`),
    sent as it is, instead of a parameter per value to render, split and bind."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[bool], column == any_(literal(list(values), ARRAY(column.type))))
    return cast(ColumnElement[bool], column.in_(values))


def _copied(column: Column[Any], row: Mapping[str, Any]) -> bool:
    """A column COPY writes: given by the rows or filled by a Python-side default."""
    return column.key in row or column.default is not None


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)  # type: ignore[attr-defined]  # SQLAlchemy wraps it to take a context
    return default.arg  # type: ignore[attr-defined]


def settle(session: Session, error: ShebaoError) -> None:
    """For a handler that answers a refusal itself (a page showing its form again): the step's end as
    an error would make it, now: keep what must be kept (counted failures), undo everything else."""
    if error.commit_anyway:
        session.commit()
    else:
        session.rollback()


class TransactionOpen(RuntimeError):
    """A step began inside another, or a provider call was made while a transaction was open."""


class WorkClosed(RuntimeError):
    """A step began in the unit of work of a request that is over."""


@dataclass(frozen=True)
class Step:
    """One transaction of a unit of work: its session and the service time read just before it began."""

    session: Session
    now: datetime


T = TypeVar("T")


class UnitOfWork:
    """The only way code opens a transaction (docs/decisions/0007).

    A unit of work is a sequence of steps; each is one short transaction, committed at its end and
    rolled back on an error (kept when the error says so: `ShebaoError.counted()`). Services get a
    step's session and never commit. Provider calls run `between()` steps, never inside one
    (decision 0002): decide → commit → call the provider → record. Each step has a session of its own,
    so every step reads what the ones before it (and everybody else) committed.

    The service time of a step is read before its transaction begins: refreshing the stored clock
    takes a connection of its own, which must never wait behind a lock this transaction holds.

    A request has one (decision 0016, `deps.request_work`): its read or write step, its look-ups (the
    payer, `joined`) and its provider calls are all of it, and it is closed when the endpoint returns.
    """

    def __init__(self, db: Database, now: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self._now = now or (lambda: datetime.now(UTC))
        self._open: Step | None = None
        self._closed = False

    def _may_begin(self, what: str) -> None:
        if self._closed:
            raise WorkClosed(f"{what} in the unit of work of a finished request")
        if self._open is not None:
            raise TransactionOpen(f"{what} inside a step of the unit of work")

    @contextmanager
    def step(self, *, write: bool = True) -> Iterator[Step]:
        self._may_begin("a step")
        now = self._now()
        session = self.db.session(write=write)
        self._open = step = Step(session, now)
        try:
            yield step
            session.commit()
        except ShebaoError as error:
            session.commit() if error.commit_anyway else session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            self._open = None
            session.close()

    @contextmanager
    def joined(self) -> Iterator[Step]:
        """For a look-up that may come while a step is open (a request's dependency finding the payer
        inside the endpoint's step): that step, whose end is its own; else a read step of its own."""
        if self._open is not None:
            yield self._open
            return
        with self.step(write=False) as step:
            yield step

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A look that changes nothing; its snapshot ends with it (what it loaded stays readable)."""
        self._may_begin("a read")
        session = self.db.session()
        try:
            yield session
        finally:
            session.close()

    def streamed(self, rows: Callable[[Session], Iterator[T]]) -> Iterator[T]:
        """A read for a response streamed after its endpoint has returned (a result file): begun now,
        inside the request, and read by `rows` as the response is sent; its session closes when the stream
        ends. Until the stream starts it holds no connection."""
        self._may_begin("a read")
        session = self.db.session()

        def stream() -> Iterator[T]:
            try:
                yield from rows(session)
            finally:
                session.close()

        return stream()

    @contextmanager
    def between(self) -> Iterator[None]:
        """Where provider calls go: no transaction open, so no lock is held across the network."""
        if self._open is not None:
            raise TransactionOpen("a provider call inside a transaction")
        yield

    def close(self) -> None:
        """Its request is over: no step, read or look-up may begin after this (one that is open ends as
        it would)."""
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed
