"""The enrolment import around the service: the CSV file, chunked transactions, retries, progress.

A file that cannot be read (missing, not UTF-8, no header, a required column missing, an unknown or
repeated column, broken CSV) raises `FileUnreadable` before anything is written: exit code 2.
Rows are then imported `chunk_size` at a time, one transaction per chunk; a chunk that lost a race
(another import created the same person or enrolment first) is rolled back and imported again.

With `jobs` > 1 (the command's default on PostgreSQL, for files of more than one chunk per job) the rows
are split by person among this process and `jobs - 1` forked ones, each reading the file and importing
its own share on its own connection: every row of one document number goes to the same process, in
file order, so the later row still wins and a
repeated row still names the first line; a chunk is then `chunk_size` rows of one share (not
consecutive lines), still one transaction. The report is in file order all the same.
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
import os
import pickle
import queue
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.agency.service import REJECTED, Importer, ImportReport, RawRow, RowResult
from shebao.audit.service import Actor
from shebao.enrolment.rows import COLUMNS, REQUIRED_COLUMNS, RowContext
from shebao.identity.documents import normalize
from shebao.logging import log
from shebao.policy.tables import PolicyTables, default_policy
from shebao.reference.repository import ReferenceRepository
from shebao.runtime import Runtime

CHUNK_SIZE = 1000
_RETRIES = 3
_ENCODING = "utf-8-sig"  # a BOM (as Excel writes it) is allowed
# Processes the command imports a large file with: one per core, two at most (the server needs the rest).
JOBS: Final = min(2, os.cpu_count() or 1)


class FileUnreadable(ValueError):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CsvLayout:
    header: tuple[str, ...]
    rows: int  # data rows (blank lines are not rows)


def check_header(header: Sequence[str]) -> tuple[str, ...]:
    names = tuple(cell.strip() for cell in header)
    if not any(names):
        raise FileUnreadable("第1行应为表头（列名），但为空")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileUnreadable("表头中有重复的列：" + "、".join(repeated))
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise FileUnreadable("表头中有未知的列：" + "、".join(unknown) + "；可用的列：" + ",".join(COLUMNS))
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise FileUnreadable("表头缺少必需的列：" + "、".join(missing))
    return names


def _reader(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for every record, blank lines skipped."""
    with path.open(encoding=_ENCODING, newline="") as handle:
        reader = csv.reader(handle, strict=True)
        previous = 0
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if cells:
                yield start, cells


def scan(path: Path) -> CsvLayout:
    """Read the whole file once (encoding, CSV syntax, header) without keeping its rows."""
    try:
        records = _reader(path)
        first = next(records, None)
        if first is None:
            raise FileUnreadable("文件为空")
        header = check_header(first[1])
        count = sum(1 for _ in records)
    except FileNotFoundError as exc:
        raise FileUnreadable(f"文件不存在：{path}") from exc
    except IsADirectoryError as exc:
        raise FileUnreadable(f"不是文件：{path}") from exc
    except PermissionError as exc:
        raise FileUnreadable(f"没有读取权限：{path}") from exc
    except UnicodeDecodeError as exc:
        raise FileUnreadable(f"文件不是UTF-8编码（第{exc.start + 1}个字节附近）") from exc
    except csv.Error as exc:
        raise FileUnreadable(f"CSV格式错误：{exc}") from exc
    return CsvLayout(header=header, rows=count)


def csv_rows(path: Path, header: Sequence[str]) -> Iterator[RawRow]:
    """The data rows of a file `scan` accepted, streamed."""
    records = _reader(path)
    next(records)
    for line, cells in records:
        if len(cells) != len(header):
            problem = f"该行有{len(cells)}列，与表头的{len(header)}列不一致"
            yield RawRow(line=line, values={}, problem=problem)
            continue
        yield RawRow(line=line, values=dict(zip(header, cells, strict=True)))


def new_importer(
    runtime: Runtime,
    *,
    actor: Actor,
    agency_code: str | None = None,
    policy: PolicyTables | None = None,
    session: Session | None = None,
) -> Importer:
    """An importer for one file or request: today's date, the policy, the known codes."""
    with nullcontext(session) if session is not None else runtime.work().read() as current:
        references = ReferenceRepository(current)
        tax_offices = frozenset(office.code for office in references.tax_offices())
        agencies = frozenset(agency.code for agency in references.agencies())
    tables = policy or default_policy()
    context = RowContext(
        today=runtime.clock.today(), policy=tables, tax_offices=tax_offices, agencies=agencies
    )
    return Importer(context=context, policy=tables, actor=actor, agency_code=agency_code)


def run_import(
    runtime: Runtime,
    rows: Iterable[RawRow],
    importer: Importer,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import rows `chunk_size` at a time, one transaction per chunk; answers the report."""
    report = ImportReport()
    iterator = iter(rows)
    while chunk := list(islice(iterator, chunk_size)):
        report.results.extend(_import_chunk(runtime, importer, chunk))
        if progress is not None:
            progress(len(chunk))
    return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a chunk is imported, back as it was after. A chunk allocates
    a few hundred thousand objects, freed by reference counting, yet every few thousand allocations
    would start a collection, and the older generations' collections walk every object the process
    holds (the report's results grow with the file): 15% of the import's CPU, 35% of a re-import's,
    measured. Reference counting still frees everything at once; a cycle waits for the chunk's end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_chunk(runtime: Runtime, importer: Importer, chunk: list[RawRow]) -> list[RowResult]:
    for attempt in range(1, _RETRIES + 1):
        snapshot = importer.snapshot()
        try:
            with _collector_paused(), runtime.work().step() as step:
                return importer.import_chunk(step.session, chunk, now=step.now)
        except IntegrityError:
            importer.restore(snapshot)
            log.warning("enrolment_import_conflict", attempt=attempt, first_line=chunk[0].line)
            if attempt == _RETRIES:
                raise
    raise AssertionError("unreachable")


def _share(raw: RawRow, jobs: int) -> int:
    """Which process imports the row: by its document number as stored (`normalize`), so all the rows
    of one person meet in one process. A row without a number is rejected wherever it goes."""
    number = raw.values.get("id_number")
    key = normalize("", number) if isinstance(number, str) else ""
    return zlib.crc32(key.encode()) % jobs


def _run_shared(
    runtime: Runtime,
    rows: Callable[[], Iterable[RawRow]],
    importer: Importer,
    *,
    chunk_size: int,
    progress: Callable[[int], None] | None,
    jobs: int,
) -> ImportReport:
    """Share 0 imported here, shares 1… each in a process forked now. Every process streams the whole
    file (`rows()` opens it anew) and imports its own share; a forked one sends its results back chunk
    by chunk, as plain tuples (no rows cross between processes)."""
    fork = multiprocessing.get_context("fork")
    messages: multiprocessing.Queue[tuple[object, ...]] = fork.Queue()
    children = [
        fork.Process(
            target=_import_forked,
            args=(runtime, importer, rows, share, jobs, chunk_size, messages),
            name=f"enrolment-import-{share}",
        )
        for share in range(1, jobs)
    ]
    for child in children:
        child.start()
    done: list[tuple[list[int], list[RowResult]]] = []
    running = len(children)

    def receive(message: tuple[object, ...]) -> None:
        nonlocal running
        kind, positions, results = message
        if kind == "error":
            raise results if isinstance(results, BaseException) else RuntimeError(str(results))
        if kind == "done":
            running -= 1
            return
        answered = [RowResult(*result) for result in results]  # type: ignore[attr-defined]
        done.append((positions, answered))  # type: ignore[arg-type]
        if progress is not None:
            progress(len(answered))

    try:
        for positions, results in _import_share(runtime, importer, rows(), 0, jobs, chunk_size):
            done.append((positions, results))
            if progress is not None:
                progress(len(results))
            while not messages.empty():
                receive(messages.get())
        while running:
            try:
                receive(messages.get(timeout=1.0))
            except queue.Empty:
                if not any(child.is_alive() for child in children) and messages.empty():
                    raise RuntimeError("导入进程意外退出") from None
    finally:
        for child in children:
            if child.is_alive() and running:
                child.terminate()  # its open chunk rolls back with its connection
            child.join()
    ordered: list[RowResult | None] = [None] * sum(len(positions) for positions, _ in done)
    for positions, results in done:
        for position, result in zip(positions, results, strict=True):
            ordered[position] = result
    return ImportReport(results=[result for result in ordered if result is not None])


def _import_share(
    runtime: Runtime, importer: Importer, rows: Iterable[RawRow], share: int, jobs: int, chunk_size: int
) -> Iterator[tuple[list[int], list[RowResult]]]:
    """The share's rows `chunk_size` at a time, with their positions in the file."""
    positions: list[int] = []
    chunk: list[RawRow] = []
    for position, raw in enumerate(rows):
        if _share(raw, jobs) != share:
            continue
        positions.append(position)
        chunk.append(raw)
        if len(chunk) == chunk_size:
            yield positions, _import_chunk(runtime, importer, chunk)
            positions, chunk = [], []
    if chunk:
        yield positions, _import_chunk(runtime, importer, chunk)


def _import_forked(
    runtime: Runtime,
    importer: Importer,
    rows: Callable[[], Iterable[RawRow]],
    share: int,
    jobs: int,
    chunk_size: int,
    messages: multiprocessing.Queue[tuple[object, ...]],
) -> None:
    """In the forked process: the same runtime and importer, on connections of its own."""
    runtime.db.forget_inherited_connections()
    try:
        for positions, results in _import_share(runtime, importer, rows(), share, jobs, chunk_size):
            plain = [(result.line, result.status, result.reason, result.index) for result in results]
            messages.put(("chunk", positions, plain))
    except BaseException as exc:  # the parent raises it (or its text, when it cannot be sent)
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(repr(exc))
        messages.put(("error", None, exc))
    else:
        messages.put(("done", None, None))
    finally:
        runtime.db.dispose()


def import_csv(
    runtime: Runtime,
    path: Path,
    *,
    actor: Actor,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    layout: CsvLayout | None = None,
    jobs: int = 1,
) -> ImportReport:
    """`shebao import enrolments FILE.csv` without the terminal: FileUnreadable or the report.
    `jobs` > 1 shares a file of more than one chunk per job among processes (module docstring)."""
    layout = layout or scan(path)
    importer = new_importer(runtime, actor=actor)
    if jobs > 1 and layout.rows > chunk_size * jobs and runtime.db.is_postgresql:
        header = layout.header
        return _run_shared(
            runtime,
            lambda: csv_rows(path, header),
            importer,
            chunk_size=chunk_size,
            progress=progress,
            jobs=jobs,
        )
    return run_import(
        runtime, csv_rows(path, layout.header), importer, chunk_size=chunk_size, progress=progress
    )


def write_report(report: ImportReport, path: Path) -> None:
    """The report file: `line,status,reason`, one line per data row, UTF-8."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "status", "reason"])
        for result in report.results:
            writer.writerow([result.line, result.status, result.reason])


__all__ = [
    "CHUNK_SIZE",
    "JOBS",
    "REJECTED",
    "CsvLayout",
    "FileUnreadable",
    "check_header",
    "csv_rows",
    "import_csv",
    "new_importer",
    "run_import",
    "scan",
    "write_report",
]
