"""Rows, files and imports for the enrolment and payables tests."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from shebao.agency.importer import new_importer, run_import
from shebao.agency.service import ImportReport, RawRow
from shebao.audit.service import Actor
from shebao.cli import app as cli_app
from shebao.config import get_settings
from shebao.enrolment.rows import COLUMNS
from shebao.payables.models import Payable
from shebao.runtime import Runtime
from tests.support.config import TEST_SECRET
from tests.support.people import transaction

# Valid resident ID numbers (GB 11643 check characters).
ZHANG_SAN = ("张三", "110101199003071823")  # born 1990: working age
LI_SI = ("李四", "11010819880420004X")  # born 1988
WANG_WU = ("王五", "11010519491231002X")  # born 1949: elderly
XIAO_MING = ("张小明", "110105201509010038")  # born 2015: student or child

XICHENG = {"tax_office_code": "11101020001", "agency_code": "SB110102"}
HAIDIAN = {"tax_office_code": "11101080001", "agency_code": "SB110108"}
ALL_TYPES = "pension;unemployment;medical;work_injury"


def medical_row(
    person: tuple[str, str] = ZHANG_SAN, category: str = "working_age", **extra: str
) -> dict[str, str]:
    return {
        "id_type": "resident_id",
        "id_number": person[1],
        "name": person[0],
        "phone": "13800138000",
        "scheme": "resident_medical",
        "category": category,
        **XICHENG,
        **extra,
    }


def pension_row(person: tuple[str, str] = WANG_WU, amount: str = "", **extra: str) -> dict[str, str]:
    row = {
        "id_type": "resident_id",
        "id_number": person[1],
        "name": person[0],
        "scheme": "resident_pension",
        **XICHENG,
        **extra,
    }
    if amount:
        row["annual_amount_yuan"] = amount
    return row


def flexible_row(
    person: tuple[str, str] = LI_SI,
    *,
    base: str = "10000",
    types: str = ALL_TYPES,
    start: str = "2025-09",
    end: str = "",
    **extra: str,
) -> dict[str, str]:
    return {
        "id_type": "resident_id",
        "id_number": person[1],
        "name": person[0],
        "phone": "13900139000",
        "scheme": "flexible_employment",
        "insurance_types": types,
        "monthly_base_yuan": base,
        "period_start": start,
        "period_end": end,
        **HAIDIAN,
        **extra,
    }


def raw_rows(rows: Sequence[Mapping[str, object]]) -> list[RawRow]:
    return [RawRow(line=index + 2, values=dict(row)) for index, row in enumerate(rows)]


def do_import(
    runtime: Runtime, rows: Sequence[Mapping[str, object]], *, chunk_size: int = 1000
) -> ImportReport:
    importer = new_importer(runtime, actor=Actor(type="operator", id="test"))
    return run_import(runtime, raw_rows(rows), importer, chunk_size=chunk_size)


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(name, "") for name in columns])
    return path


def payables_of(runtime: Runtime, **filters: object) -> list[Payable]:
    with runtime.db.session() as session:
        query = select(Payable).filter_by(**filters)
        query = query.order_by(Payable.scheme, Payable.period_start, Payable.levy_item)
        return list(session.scalars(query))


def move(runtime: Runtime, moment: str) -> None:
    with transaction(runtime) as session:
        runtime.clock.move_to(session, datetime.fromisoformat(moment))


def periods(runtime: Runtime, **filters: object) -> list[str]:
    return sorted({p.period_start for p in payables_of(runtime, **filters)})


def count(runtime: Runtime, model: type[object]) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunnerCall]:
    """Run `shebao ...` in process against the test database."""
    monkeypatch.setenv("SHEBAO_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("SHEBAO_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("SHEBAO_ENV", "test")
    monkeypatch.setenv("SHEBAO_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.delenv("SHEBAO_CLOCK", raising=False)
    get_settings.cache_clear()
    yield CliRunnerCall()
    get_settings.cache_clear()


class CliRunnerCall:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(cli_app, list(args))
