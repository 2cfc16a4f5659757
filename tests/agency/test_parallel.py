"""agency/importer.py with jobs > 1: a file shared by person among processes gives the same report
and the same data as one process (file order, the later row wins, repeated rows name their first line)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shebao.agency import importer, service
from shebao.agency.importer import _share, import_csv
from shebao.agency.service import RawRow
from shebao.audit.models import AuditEntry
from shebao.audit.service import Actor
from shebao.enrolment.models import Enrolment
from shebao.identity.documents import check_character
from shebao.identity.models import Person
from shebao.payables.models import Payable
from shebao.runtime import Runtime
from tests.support.enrolment import count, flexible_row, medical_row, write_csv

NOW = "2025-11-20T09:00:00+08:00"
ACTOR = Actor(type="operator", id="test")


@pytest.fixture(autouse=True)
def _clock(set_now) -> None:  # type: ignore[no-untyped-def]
    set_now(NOW)


def person(n: int) -> tuple[str, str]:
    body = f"1101011990{1 + n // 28:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return f"张{n}", body + check_character(body)


def a_file(tmp_path: Path) -> Path:
    """24 people (lines 2-25), then lines 26-30: a repeat, a change, a rejection, another scheme and a
    full-width repeat of earlier people."""
    rows = [medical_row(person(n)) for n in range(24)]
    rows.append(medical_row(person(3)))  # line 26: the same as line 5
    rows.append(medical_row(person(4), category="elderly"))  # line 27: line 6's person, changed
    rows.append(medical_row(person(5), category="nobody"))  # line 28: rejected
    rows.append(flexible_row(person(6), types="pension"))  # line 29: another scheme, same person
    wide = person(7)[1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    rows.append(medical_row((person(7)[0], wide)))  # line 30: line 9 in full-width digits
    return write_csv(tmp_path / "people.csv", rows)


def outcome(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.status, r.reason) for r in report.results]


def test_rows_of_one_person_share_a_process() -> None:
    number = person(7)[1]
    wide = " " + number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}).lower() + " "
    rows = [RawRow(line=2, values={"id_number": number}), RawRow(line=3, values={"id_number": wide})]
    assert _share(rows[0], 2) == _share(rows[1], 2)
    assert {_share(RawRow(line=2, values={"id_number": person(n)[1]}), 2) for n in range(24)} == {0, 1}
    assert _share(RawRow(line=2, values={}, problem="该行有3列，与表头的9列不一致"), 2) in (0, 1)


@pytest.mark.postgres_only
def test_two_processes_give_the_report_and_data_of_one(runtime: Runtime, tmp_path: Path) -> None:
    path = a_file(tmp_path)
    one = import_csv(runtime, path, actor=ACTOR, chunk_size=4)
    data = _data(runtime)
    audits = count(runtime, AuditEntry)
    _empty(runtime)
    shared = import_csv(runtime, path, actor=ACTOR, chunk_size=4, jobs=2)
    assert outcome(shared) == outcome(one)
    assert _data(runtime) == data
    assert count(runtime, AuditEntry) == 2 * audits  # the audit log is append-only: both runs' rows
    # Again: lines 6 and 8 change back what lines 27 and 29 changed, and those change it again.
    again = import_csv(runtime, path, actor=ACTOR, chunk_size=4, jobs=2)
    assert outcome(again) == outcome(import_csv(runtime, path, actor=ACTOR, chunk_size=4))
    assert [row for row in outcome(again) if row[1] != "unchanged"] == [
        (6, "updated", "已更新（人员类别）；重新计算待申报应缴费1条"),
        (8, "updated", "已更新（手机号码）"),  # line 29 gave person 6 another phone
        (27, "updated", "已更新（人员类别）；重新计算待申报应缴费1条"),
        (28, "rejected", "人员类别（category）不正确：nobody，应为 student_child、working_age、elderly 之一"),
        (29, "updated", "已更新（手机号码）"),
    ]
    assert _data(runtime) == data


def test_on_sqlite_or_a_small_file_one_process_imports(runtime: Runtime, tmp_path: Path) -> None:
    path = a_file(tmp_path)
    report = import_csv(runtime, path, actor=ACTOR, chunk_size=1000, jobs=2)  # 30 rows: one chunk
    assert [r.status for r in report.results] == ["imported"] * 24 + [
        "unchanged",
        "updated",
        "rejected",
        "imported",
        "unchanged",
    ]
    assert [r.reason for r in report.results][24] == "与第5行相同，未作修改"


def _data(runtime: Runtime) -> list[tuple[object, ...]]:
    """What the import wrote, without ids and times: persons' numbers, their enrolments and payables."""
    with runtime.db.session() as session:
        numbers = {p.id: p.id_number for p in session.scalars(select(Person))}
        enrolments = sorted(
            (numbers[e.person_id], e.scheme, e.category, e.insurance_types)
            for e in session.scalars(select(Enrolment))
        )
        payables = sorted(
            (numbers[p.person_id], p.levy_item, p.period_start, p.base_amount_fen)
            for p in session.scalars(select(Payable))
        )
    return [tuple(enrolments), tuple(payables), (len(numbers),)]


def _empty(runtime: Runtime) -> None:
    """Forget the people (not the audit rows: the audit log is append-only)."""
    with runtime.db.session() as session, session.begin():
        for model in (Payable, Enrolment, Person):
            session.query(model).delete()


@pytest.mark.postgres_only
@pytest.mark.parametrize("where", ["between its chunks", "inside a chunk"])
def test_the_forked_process_killed_stops_the_import_and_importing_again_finishes_it(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    path = a_file(tmp_path)
    parent = os.getpid()
    calls = {"chunks": 0}
    import_chunk, write = importer._import_chunk, service.insert_rows

    def chunk_then_die(*args: Any) -> Any:
        if os.getpid() != parent:
            calls["chunks"] += 1
            if calls["chunks"] == 2:  # its first chunk committed, the second not begun
                os.kill(os.getpid(), signal.SIGKILL)
        return import_chunk(*args)

    def write_then_die(session: Any, model: Any, rows: Any) -> None:
        write(session, model, rows)
        if os.getpid() != parent and model is Payable:
            calls["chunks"] += 1
            if calls["chunks"] == 2:  # the second chunk's rows written, its transaction open
                os.kill(os.getpid(), signal.SIGKILL)

    if where == "between its chunks":
        monkeypatch.setattr(importer, "_import_chunk", chunk_then_die)
    else:
        monkeypatch.setattr(service, "insert_rows", write_then_die)
    with pytest.raises(RuntimeError, match="导入进程意外退出"):
        import_csv(runtime, path, actor=ACTOR, chunk_size=4, jobs=2)
    monkeypatch.undo()
    assert 0 < count(runtime, Person) < 24  # killed part-way: some of the 24 people in, not all
    # What the killed process committed stays; what it had open rolled back with its connection.
    again = import_csv(runtime, path, actor=ACTOR, chunk_size=4, jobs=2)
    assert {r.status for r in again.results} <= {"imported", "unchanged", "updated", "rejected"}
    assert [r.line for r in again.results] == list(range(2, 31))
    once = _data(runtime)
    _empty(runtime)
    import_csv(runtime, path, actor=ACTOR, chunk_size=4)
    assert once == _data(runtime)  # no one twice, no one lost
