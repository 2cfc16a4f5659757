"""agency/service.py: import, update, idempotency, repeated rows, audit, payables on import."""

from __future__ import annotations

import gc
import json

import pytest
from sqlalchemy import select

from shebao.audit.models import AuditEntry
from shebao.enrolment.models import Enrolment
from shebao.identity.models import Person
from shebao.payables.models import DECLARED, PAID, TO_DECLARE, Payable
from shebao.runtime import Runtime
from tests.support.enrolment import (
    LI_SI,
    WANG_WU,
    XIAO_MING,
    ZHANG_SAN,
    count,
    do_import,
    flexible_row,
    medical_row,
    payables_of,
    pension_row,
)
from tests.support.people import transaction

NOW = "2025-11-20T09:00:00+08:00"


@pytest.fixture(autouse=True)
def _clock(set_now) -> None:  # type: ignore[no-untyped-def]
    set_now(NOW)


def statuses(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(r.line, r.status, r.reason) for r in report.results]


def set_status(runtime: Runtime, status: str, **filters: object) -> None:
    with transaction(runtime) as session:
        for payable in session.scalars(select(Payable).filter_by(**filters)):
            payable.status = status


class TestImport:
    def test_every_scheme_imports_with_its_payables(self, runtime: Runtime) -> None:
        report = do_import(
            runtime,
            [medical_row(), pension_row(amount="2000"), flexible_row(start="2025-10")],
        )
        assert statuses(report) == [
            (2, "imported", "已导入；生成应缴费1条"),
            (3, "imported", "已导入；生成应缴费1条"),
            (4, "imported", "已导入；生成应缴费8条"),
        ]
        assert (
            count(runtime, Person) == 3 and count(runtime, Enrolment) == 3 and count(runtime, Payable) == 10
        )

    def test_person_data_is_encrypted_and_found_by_blind_index(self, runtime: Runtime) -> None:
        do_import(runtime, [medical_row()])
        with runtime.db.engine.connect() as conn:
            raw = conn.exec_driver_sql("SELECT id_number, name, phone FROM persons").one()
        assert all(ZHANG_SAN[1].encode() not in bytes(value) for value in raw)
        with runtime.db.session() as session:
            person = session.scalars(select(Person)).one()
            assert (person.name, person.id_number, person.phone) == ("张三", ZHANG_SAN[1], "13800138000")
            assert person.taxpayer_id == ZHANG_SAN[1]

    def test_two_schemes_of_one_person_share_the_person(self, runtime: Runtime) -> None:
        report = do_import(runtime, [medical_row(WANG_WU, "elderly"), pension_row(WANG_WU)])
        assert [r.status for r in report.results] == ["imported", "imported"]
        assert count(runtime, Person) == 1 and count(runtime, Enrolment) == 2

    def test_a_rejected_row_writes_nothing_and_good_rows_are_imported(self, runtime: Runtime) -> None:
        report = do_import(
            runtime, [medical_row(category="retired"), medical_row(XIAO_MING, "student_child")]
        )
        assert statuses(report)[0][:2] == (2, "rejected")
        assert statuses(report)[1][:2] == (3, "imported")
        assert count(runtime, Person) == 1 and count(runtime, Payable) == 1

    def test_missing_table_does_not_reject(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2026-08-10T09:00:00+08:00")
        report = do_import(runtime, [flexible_row(start="2026-05")])
        assert statuses(report) == [
            (
                2,
                "imported",
                "已导入；生成应缴费8条；2026-07起的灵活就业人员应缴费待缴费标准公布后生成"
                "（缺少2026-07起的灵活就业人员缴费基数上下限）",
            )
        ]
        assert [p.period_start for p in payables_of(runtime, levy_item="基本养老保险基金收入")] == [
            "2026-05",
            "2026-06",
        ]
        with runtime.db.session() as session:
            assert session.scalars(select(Enrolment)).one().payables_through == "2026-06"

    def test_missing_table_with_an_end(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2026-09-10T09:00:00+08:00")
        report = do_import(runtime, [flexible_row(start="2026-06", end="2026-08", types="pension")])
        assert report.results[0].reason == (
            "已导入；生成应缴费1条；2026-07至2026-08的灵活就业人员应缴费待缴费标准公布后生成"
            "（缺少2026-07至2026-08的灵活就业人员缴费基数上下限）"
        )

    def test_outside_the_collection_window(self, runtime: Runtime, set_now) -> None:  # type: ignore[no-untyped-def]
        set_now("2025-12-15T09:00:00+08:00")
        report = do_import(runtime, [pension_row()])
        assert report.results[0].reason == (
            "已导入；当前不在城乡居民养老保险缴费期，应缴费将在缴费期开始后生成"
            "（缴费期为每年4月1日至12月10日，2026年度将于2026年4月1日开始缴费）"
        )
        assert payables_of(runtime) == []

    def test_a_future_start(self, runtime: Runtime) -> None:
        report = do_import(runtime, [flexible_row(start="2026-03")])
        assert report.results[0].reason == "已导入；2026-03起的应缴费将按月生成"

    def test_chunks_give_the_same_report(self, runtime: Runtime) -> None:
        rows = [medical_row(), medical_row(), medical_row(WANG_WU, "elderly"), medical_row(category="x")]
        report = do_import(runtime, rows, chunk_size=1)
        assert [r.status for r in report.results] == ["imported", "unchanged", "imported", "rejected"]
        assert report.results[1].reason == "与第2行相同，未作修改"


class TestIdempotency:
    def test_reimport_changes_nothing(self, runtime: Runtime) -> None:
        rows = [medical_row(), pension_row(), flexible_row()]
        do_import(runtime, rows)
        before = (payables_of(runtime), count(runtime, AuditEntry))
        report = do_import(runtime, rows)
        assert statuses(report) == [(n, "unchanged", "与已登记的参保信息一致，未作修改") for n in (2, 3, 4)]
        after = payables_of(runtime)
        assert [(p.id, p.base_amount_fen, p.updated_at) for p in after] == [
            (p.id, p.base_amount_fen, p.updated_at) for p in before[0]
        ]
        assert count(runtime, AuditEntry) == before[1]

    def test_a_row_repeated_in_one_file(self, runtime: Runtime) -> None:
        report = do_import(runtime, [flexible_row(), medical_row(), flexible_row()])
        assert statuses(report)[2] == (4, "unchanged", "与第2行相同，未作修改")
        assert count(runtime, Enrolment) == 2

    def test_a_changed_row_later_in_the_same_file_updates(self, runtime: Runtime) -> None:
        report = do_import(
            runtime, [flexible_row(types="pension"), flexible_row(types="pension", base="20000")]
        )
        assert [r.status for r in report.results] == ["imported", "updated"]
        assert [p.base_amount_fen for p in payables_of(runtime)] == [400000, 400000, 400000]


class TestUpdate:
    def test_base_change_recomputes_only_undeclared_payables(self, runtime: Runtime) -> None:
        do_import(runtime, [flexible_row(types="pension")])  # 2025-09, 10, 11 at 10000 yuan
        set_status(runtime, DECLARED, period_start="2025-09")
        set_status(runtime, PAID, period_start="2025-10")
        report = do_import(runtime, [flexible_row(types="pension", base="12000")])
        assert statuses(report) == [(2, "updated", "已更新（月缴费基数）；重新计算待申报应缴费1条")]
        assert [(p.period_start, p.status, p.base_amount_fen) for p in payables_of(runtime)] == [
            ("2025-09", DECLARED, 200000),
            ("2025-10", PAID, 200000),
            ("2025-11", TO_DECLARE, 240000),
        ]

    def test_dropped_insurance_type_and_earlier_end(self, runtime: Runtime) -> None:
        do_import(runtime, [flexible_row(types="pension;unemployment")])
        set_status(runtime, DECLARED, period_start="2025-11", insurance_type="unemployment")
        report = do_import(runtime, [flexible_row(types="pension", end="2025-10")])
        assert statuses(report) == [
            (2, "updated", "已更新（险种、费款所属期止）；删除不再应缴的待申报应缴费3条")
        ]
        assert [(p.period_start, p.insurance_type, p.status) for p in payables_of(runtime)] == [
            ("2025-09", "pension", TO_DECLARE),
            ("2025-10", "pension", TO_DECLARE),
            ("2025-11", "unemployment", DECLARED),
        ]

    def test_a_payable_another_table_refers_to_is_kept(self, runtime: Runtime, is_postgres: bool) -> None:
        """A voided declaration's items still refer to a payable that is back to to_declare: it stays."""
        do_import(runtime, [flexible_row(types="pension")])
        [referred] = payables_of(runtime, period_start="2025-11")
        key_type = "UUID" if is_postgres else "CHAR(32)"
        with runtime.db.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE h4_refs (payable_id {key_type} REFERENCES payables (id))")
            value = str(referred.id) if is_postgres else referred.id.hex
            conn.exec_driver_sql(f"INSERT INTO h4_refs VALUES ('{value}')")
        try:
            report = do_import(runtime, [flexible_row(types="pension", end="2025-09")])
            assert statuses(report) == [
                (
                    2,
                    "updated",
                    "已更新（费款所属期止）；删除不再应缴的待申报应缴费1条；"
                    "1条不再应缴的待申报应缴费有申报记录，予以保留",
                )
            ]
            assert [p.period_start for p in payables_of(runtime)] == ["2025-09", "2025-11"]
        finally:
            with runtime.db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE h4_refs")

    def test_added_type_and_earlier_start_generate(self, runtime: Runtime) -> None:
        do_import(runtime, [flexible_row(types="pension", start="2025-10")])
        report = do_import(runtime, [flexible_row(types="pension;medical", start="2025-09")])
        assert statuses(report) == [(2, "updated", "已更新（险种、费款所属期起）；生成应缴费4条")]
        assert len(payables_of(runtime)) == 6

    def test_category_change_recomputes_the_annual_amount(self, runtime: Runtime) -> None:
        do_import(runtime, [medical_row(category="working_age")])
        report = do_import(runtime, [medical_row(category="elderly")])
        assert statuses(report) == [(2, "updated", "已更新（人员类别）；重新计算待申报应缴费1条")]
        assert [p.base_amount_fen for p in payables_of(runtime)] == [46000]

    def test_new_office_moves_undeclared_payables(self, runtime: Runtime) -> None:
        do_import(runtime, [medical_row()])
        do_import(runtime, [medical_row(tax_office_code="11101080001", agency_code="SB110108")])
        assert [(p.tax_office_code, p.agency_code) for p in payables_of(runtime)] == [
            ("11101080001", "SB110108")
        ]

    def test_name_or_phone_change_updates_the_person(self, runtime: Runtime) -> None:
        do_import(runtime, [medical_row()])
        report = do_import(runtime, [medical_row(name="张叁", phone="13900000000")])
        assert statuses(report) == [(2, "updated", "已更新（姓名、手机号码）")]
        with runtime.db.session() as session:
            person = session.scalars(select(Person)).one()
            assert (person.name, person.phone) == ("张叁", "13900000000")

    def test_an_empty_phone_keeps_the_known_one(self, runtime: Runtime) -> None:
        do_import(runtime, [medical_row()])
        report = do_import(runtime, [medical_row(phone="")])
        assert report.results[0].status == "unchanged"


class TestAudit:
    def test_create_and_update_are_audited_without_personal_data(self, runtime: Runtime) -> None:
        do_import(runtime, [flexible_row(types="pension")])
        do_import(runtime, [flexible_row(types="pension", base="12000", name="李肆")])
        with runtime.db.session() as session:
            enrolment = session.scalars(select(Enrolment)).one()
            entries = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "enrolment")
                .order_by(AuditEntry.occurred_at)
            ).all()
            assert [e.action for e in entries] == ["enrolment.created", "enrolment.updated"]
            assert all(e.object_id == str(enrolment.id) for e in entries)
            assert entries[0].actor_type == "operator" and entries[0].actor_id == "test"
            assert entries[0].after is not None and entries[0].after["person_id"] == str(enrolment.person_id)
            assert entries[1].before is not None and entries[1].before["monthly_base_fen"] == 1000000
            assert entries[1].after is not None and entries[1].after["monthly_base_fen"] == 1200000
            assert entries[1].after["person_fields_changed"] == ["name"]
            text = json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False)
        for secret in (LI_SI[1], "李四", "李肆", "13900139000"):
            assert secret not in text


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_left_as_it_was(runtime: Runtime, enabled: bool) -> None:
    """Paused while each chunk is imported (its collections walked every object of the process)."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        report = do_import(runtime, [medical_row(), medical_row(LI_SI)], chunk_size=1)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert report.counts()["imported"] == 2
