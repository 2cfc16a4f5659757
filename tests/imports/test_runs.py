"""Every import from the command line leaves an import run: its counts by row outcome, the rejected rows
with their reasons, who ran it, and an audit row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.imports.models import ImportRun
from shebao.runtime import Runtime
from tests.support.enrolment import XIAO_MING, CliRunnerCall, cli, flexible_row, medical_row, write_csv
from tests.support.people import ZHANG_SAN

__all__ = ["cli"]  # the fixture

PAYMENTS_HEADER = (
    "source_id,channel,paid_at,id_type,id_number,scheme,levy_item,period_start,amount_yuan,eticket_no\n"
)


@pytest.fixture(autouse=True)
def _clock(set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")


def only_run(runtime: Runtime) -> ImportRun:
    with runtime.db.session() as s:
        (run,) = s.scalars(select(ImportRun)).all()
        s.expunge(run)
        return run


def test_an_enrolment_import_is_recorded(cli: CliRunnerCall, runtime: Runtime, tmp_path: Path) -> None:
    file = write_csv(
        tmp_path / "agency-1120.csv",
        [medical_row(), medical_row(XIAO_MING, "kindergarten"), flexible_row(start="2025-11")],
    )
    result = cli("import", "enrolments", str(file))
    assert result.exit_code == 1, result.output
    run = only_run(runtime)
    assert (run.kind, run.kind_label, run.file_name, run.channel) == (
        "enrolments",
        "参保数据导入",
        "agency-1120.csv",
        "cli",
    )
    assert run.actor_id is not None and run.actor_id.startswith("cli:")
    assert (run.rows, run.rejected) == (3, 1)
    assert run.counts == {"imported": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert run.rejections == [
        [3, "人员类别（category）不正确：kindergarten，应为 student_child、working_age、elderly 之一"]
    ]
    assert run.started_at <= run.finished_at
    with runtime.db.session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "import_run")).one()
        assert (audit.action, audit.object_id, audit.after) == (
            "import.enrolments",
            str(run.id),
            {"file_name": "agency-1120.csv", "rows": 3, "rejected": 1},
        )


def test_a_payments_import_is_recorded(cli: CliRunnerCall, world, runtime: Runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = (
        f"TC9,bank,2025-11-20T10:00:00+08:00,resident_id,{ZHANG_SAN[1]},resident_medical,"
        "城乡居民基本医疗保险费,2026-01,795.00,320251120000000009\n"
    )
    bad = (
        "TC8,bank,2025-11-20T10:00:00+08:00,resident_id,110101200001010010,resident_medical,"
        "城乡居民基本医疗保险费,2026-01,795.00,3\n"
    )
    feed = tmp_path / "taxcore.csv"
    feed.write_text(PAYMENTS_HEADER + good + bad, encoding="utf-8")
    result = cli("import", "payments", str(feed))
    assert result.exit_code == 1, result.output
    run = only_run(runtime)
    assert (run.kind, run.file_name, run.rows, run.rejected) == ("payments", "taxcore.csv", 2, 1)
    assert run.counts == {"applied": 1, "duplicate": 0, "unchanged": 0, "rejected": 1}
    assert run.rejections == [[3, "未找到该缴费人的参保信息"]]


def test_an_unreadable_file_records_nothing(cli: CliRunnerCall, runtime: Runtime, tmp_path: Path) -> None:
    file = tmp_path / "empty.csv"
    file.write_text("", encoding="utf-8")
    assert cli("import", "enrolments", str(file)).exit_code == 2
    with runtime.db.session() as s:
        assert s.scalars(select(ImportRun)).all() == []
