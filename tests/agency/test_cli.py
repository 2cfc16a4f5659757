"""`shebao import enrolments` (report file, exit codes 0/1/2) and `shebao agency add-key`."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from shebao.enrolment.models import AgencyKey, Enrolment
from shebao.enrolment.rows import COLUMNS
from shebao.runtime import Runtime
from tests.support.enrolment import (
    WANG_WU,
    XIAO_MING,
    CliRunnerCall,
    count,
    flexible_row,
    medical_row,
    write_csv,
)


@pytest.fixture(autouse=True)
def _clock(set_now) -> None:  # type: ignore[no-untyped-def]
    set_now("2025-11-20T09:00:00+08:00")


def read_report(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


class TestImportCommand:
    def test_all_good_exits_0(self, cli: CliRunnerCall, runtime: Runtime, tmp_path: Path) -> None:
        file = write_csv(tmp_path / "in.csv", [medical_row(), flexible_row(start="2025-11")])
        result = cli("import", "enrolments", str(file))
        assert result.exit_code == 0, result.output
        assert result.stdout == "共2行：导入2行，更新0行，未变0行，拒绝0行\n"
        assert count(runtime, Enrolment) == 2

    def test_some_rejected_exits_1_with_the_report(self, cli: CliRunnerCall, tmp_path: Path) -> None:
        file = write_csv(
            tmp_path / "in.csv",
            [
                medical_row(),
                medical_row(XIAO_MING, "kindergarten"),
                medical_row(),
                flexible_row(monthly_base_yuan="-1"),
                medical_row(WANG_WU, "elderly", id_number="11010519491231002Y"),
            ],
        )
        out = tmp_path / "report.csv"
        result = cli("import", "enrolments", str(file), "--report", str(out))
        assert result.exit_code == 1
        assert result.stdout == f"共5行：导入1行，更新0行，未变1行，拒绝3行；报告：{out}\n"
        assert "第3行被拒绝：人员类别（category）不正确：kindergarten" in result.stderr
        assert read_report(out) == [
            ["line", "status", "reason"],
            ["2", "imported", "已导入；生成应缴费1条"],
            [
                "3",
                "rejected",
                "人员类别（category）不正确：kindergarten，应为 student_child、working_age、elderly 之一",
            ],
            ["4", "unchanged", "与第2行相同，未作修改"],
            ["5", "rejected", "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：-1"],
            ["6", "rejected", "身份证号码格式不正确"],
        ]

    def test_reimport_is_unchanged(self, cli: CliRunnerCall, tmp_path: Path) -> None:
        file = write_csv(tmp_path / "in.csv", [medical_row(), flexible_row()])
        assert cli("import", "enrolments", str(file)).exit_code == 0
        result = cli("import", "enrolments", str(file))
        assert result.exit_code == 0
        assert result.stdout == "共2行：导入0行，更新0行，未变2行，拒绝0行\n"

    def test_line_numbers_count_physical_lines(self, cli: CliRunnerCall, tmp_path: Path) -> None:
        file = tmp_path / "in.csv"
        header = ",".join(COLUMNS)
        good = write_csv(tmp_path / "one.csv", [medical_row()]).read_text(encoding="utf-8").splitlines()[1]
        broken = good.replace("张三", '"张\n三"', 1)
        file.write_text(f"{header}\n\n{broken}\n{good},extra\n{good}\n", encoding="utf-8")
        out = tmp_path / "report.csv"
        result = cli("import", "enrolments", str(file), "--report", str(out))
        assert result.exit_code == 1
        assert read_report(out)[1:] == [
            [
                "3",
                "rejected",
                "姓名（name）含有不可见字符（U+000A）：零宽、文字方向控制等字符无法输入，请删除后重新提交",
            ],
            ["5", "rejected", "该行有14列，与表头的13列不一致"],
            ["6", "imported", "已导入；生成应缴费1条"],
        ]

    def test_a_name_with_direction_controls_is_refused_on_its_line(
        self, cli: CliRunnerCall, runtime: Runtime, tmp_path: Path
    ) -> None:
        rows = [medical_row(), medical_row(XIAO_MING, "student_child", name="\u2066小明\u2069")]
        file = write_csv(tmp_path / "in.csv", rows)
        out = tmp_path / "report.csv"
        assert cli("import", "enrolments", str(file), "--report", str(out)).exit_code == 1
        assert read_report(out)[2] == [
            "3",
            "rejected",
            "姓名（name）含有不可见字符（U+2066、U+2069）：零宽、文字方向控制等字符无法输入，请删除后重新提交",
        ]
        assert count(runtime, Enrolment) == 1

    def test_bom_and_only_the_required_columns(self, cli: CliRunnerCall, tmp_path: Path) -> None:
        columns = ["id_type", "id_number", "name", "scheme", "category", "tax_office_code", "agency_code"]
        file = write_csv(tmp_path / "in.csv", [medical_row()], columns)
        file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
        result = cli("import", "enrolments", str(file))
        assert result.exit_code == 0, result.output

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "无法读取文件：文件为空"),
            (
                b"id_type,id_number,name,scheme,tax_office_code\n",
                "无法读取文件：表头缺少必需的列：agency_code",
            ),
            (
                ",".join([*COLUMNS, "remark"]).encode() + b"\n",
                "无法读取文件：表头中有未知的列：remark；可用的列：" + ",".join(COLUMNS),
            ),
            (
                ",".join([*COLUMNS, "name"]).encode() + b"\n",
                "无法读取文件：表头中有重复的列：name",
            ),
            (
                ",".join(COLUMNS).encode() + b"\nresident_id,1,\xd5\xc5\xc8\xfd\n",
                "无法读取文件：文件不是UTF-8编码",
            ),
            (
                ",".join(COLUMNS).encode() + b'\nresident_id,"1"x,a\n',
                "无法读取文件：CSV格式错误",
            ),
        ],
    )
    def test_unreadable_file_exits_2_and_writes_nothing(
        self, cli: CliRunnerCall, runtime: Runtime, tmp_path: Path, content: bytes, message: str
    ) -> None:
        file = tmp_path / "in.csv"
        file.write_bytes(content)
        result = cli("import", "enrolments", str(file))
        assert result.exit_code == 2
        assert result.stderr.startswith(message)
        assert result.stdout == ""
        assert count(runtime, Enrolment) == 0

    def test_missing_file_exits_2(self, cli: CliRunnerCall, tmp_path: Path) -> None:
        result = cli("import", "enrolments", str(tmp_path / "nope.csv"))
        assert result.exit_code == 2
        assert result.stderr == f"无法读取文件：文件不存在：{tmp_path / 'nope.csv'}\n"

    def test_unwritable_report_exits_2_before_importing(
        self, cli: CliRunnerCall, runtime: Runtime, tmp_path: Path
    ) -> None:
        file = write_csv(tmp_path / "in.csv", [medical_row()])
        result = cli("import", "enrolments", str(file), "--report", str(tmp_path / "no" / "such" / "r.csv"))
        assert result.exit_code == 2
        assert result.stderr.startswith("无法写入报告文件：")
        assert count(runtime, Enrolment) == 0


class TestAddKey:
    def test_prints_a_new_key_stored_hashed(self, cli: CliRunnerCall, runtime: Runtime) -> None:
        result = cli("agency", "add-key", "SB110102")
        assert result.exit_code == 0
        key = result.stdout.strip()
        assert key.startswith("sbak_") and len(key) == 48
        assert "北京市西城区社会保险事业管理中心（SB110102）" in result.stderr
        with runtime.db.session() as session:
            row = session.scalars(select(AgencyKey)).one()
            assert row.agency_code == "SB110102"
            assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
            assert row.hint == key[-4:]
        assert cli("agency", "add-key", "SB110102").stdout.strip() != key

    def test_unknown_agency_exits_2(self, cli: CliRunnerCall, runtime: Runtime) -> None:
        result = cli("agency", "add-key", "SB999999")
        assert result.exit_code == 2
        assert (
            result.stderr == "社保经办机构代码不存在：SB999999（可用代码见 GET /api/v1/reference/agencies）\n"
        )
        assert count(runtime, AgencyKey) == 0
