"""enrolment/rows.py: every kind of bad row is refused with a Chinese reason naming the column."""

from __future__ import annotations

from datetime import date

import pytest

from shebao.enrolment.rows import RowContext, RowRejected, parse_row
from shebao.kit.periods import Period
from shebao.policy.tables import default_policy
from tests.support.enrolment import WANG_WU, flexible_row, medical_row, pension_row

CONTEXT = RowContext(
    today=date(2025, 11, 20),
    policy=default_policy(),
    tax_offices=frozenset({"11101020001", "11101080001"}),
    agencies=frozenset({"SB110102", "SB110108"}),
)


def reason(row: dict[str, object]) -> str:
    with pytest.raises(RowRejected) as caught:
        parse_row(row, CONTEXT)
    return caught.value.reason


class TestGoodRows:
    def test_resident_medical(self) -> None:
        row = parse_row(medical_row(category="elderly"), CONTEXT)
        assert row.document.id_number == "110101199003071823"
        assert row.name == "张三" and row.phone == "13800138000"
        assert row.terms.scheme == "resident_medical" and row.terms.category == "elderly"
        assert row.terms.tax_office_code == "11101020001" and row.terms.agency_code == "SB110102"

    def test_flexible_types_in_canonical_order_and_base_in_fen(self) -> None:
        row = parse_row(flexible_row(types=" medical；pension ", base="7162.50", end="2026-06"), CONTEXT)
        assert row.terms.insurance_types == ("pension", "medical")
        assert row.terms.monthly_base_fen == 716250
        assert row.terms.period_start == Period(2025, 9) and row.terms.period_end == Period(2026, 6)

    def test_pension_amount_optional(self) -> None:
        assert parse_row(pension_row(), CONTEXT).terms.annual_amount_fen is None
        assert parse_row(pension_row(amount="9000"), CONTEXT).terms.annual_amount_fen == 900000

    def test_json_numbers_and_spaces_are_text(self) -> None:
        row = parse_row({**flexible_row(), "monthly_base_yuan": 7162.5, "name": " 李四 "}, CONTEXT)
        assert row.terms.monthly_base_fen == 716250 and row.name == "李四"

    def test_phone_is_normalised(self) -> None:
        assert parse_row(medical_row(phone="138-0013-8000"), CONTEXT).phone == "13800138000"


class TestBadRows:
    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"id_number": "11010119900307182X"}, "身份证号码校验位错误"),
            ({"id_type": "driving_licence"}, "证件类型不正确"),
            ({"id_number": ""}, "缺少必填项：证件号码（id_number）"),
            ({"name": ""}, "缺少必填项：姓名（name）"),
            ({"name": "张" * 65}, "姓名（name）过长（最多64个字）"),
            (
                {"name": "张\n三"},
                "姓名（name）含有不可见字符（U+000A）：零宽、文字方向控制等字符无法输入，请删除后重新提交",
            ),
            ({"phone": "12345"}, "手机号码格式不正确"),
            ({"tax_office_code": "11101029999"}, "主管税务机关代码不存在：11101029999"),
            ({"agency_code": "SB999999"}, "社保经办机构代码不存在：SB999999"),
            ({"tax_office_code": ""}, "缺少必填项：主管税务机关代码（tax_office_code）"),
            ({"scheme": ""}, "缺少必填项：参保项目（scheme）"),
            (
                {"scheme": "unemployment"},
                "参保项目（scheme）不正确：unemployment，"
                "应为 resident_medical、resident_pension、flexible_employment 之一",
            ),
            ({"category": ""}, "缺少必填项：人员类别（category）"),
            (
                {"category": "retired"},
                "人员类别（category）不正确：retired，应为 student_child、working_age、elderly 之一",
            ),
            ({"monthly_base_yuan": "5000"}, "城乡居民基本医疗保险不填写月缴费基数（monthly_base_yuan）"),
            ({"period_start": "2025-13"}, "费款所属期起（period_start）格式应为YYYY-MM：2025-13"),
            ({"period_start": "1999-12"}, "费款所属期起（period_start）不能早于2000-01：1999-12"),
            (
                {"period_start": "2026-01", "period_end": "2025-12"},
                "费款所属期止（period_end）不能早于费款所属期起（period_start）",
            ),
            ({"extra_column": "x"}, "未知字段：extra_column"),
            ({"name": ["张三"]}, "姓名（name）格式不正确"),
        ],
    )
    def test_resident_medical(self, change: dict[str, object], expected: str) -> None:
        assert reason({**medical_row(), **change}) == expected

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"monthly_base_yuan": "0"}, "月缴费基数（monthly_base_yuan）应为正数金额：0"),
            (
                {"monthly_base_yuan": "-100"},
                "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：-100",
            ),
            (
                {"monthly_base_yuan": "abc"},
                "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：abc",
            ),
            (
                {"monthly_base_yuan": "100.005"},
                "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：100.005",
            ),
            (
                {"monthly_base_yuan": "1e5"},
                "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：1e5",
            ),
            (
                {"monthly_base_yuan": "NaN"},
                "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：NaN",
            ),
            (
                {"monthly_base_yuan": "99999999999"},
                "月缴费基数（monthly_base_yuan）应为正数金额（元，最多两位小数）：99999999999",
            ),
            ({"monthly_base_yuan": "1000000001"}, "月缴费基数（monthly_base_yuan）金额过大：1000000001"),
            ({"monthly_base_yuan": ""}, "缺少必填项：月缴费基数（monthly_base_yuan）"),
            ({"monthly_base_yuan": True}, "月缴费基数（monthly_base_yuan）格式不正确"),
            ({"period_start": ""}, "缺少必填项：费款所属期起（period_start）"),
            ({"insurance_types": ""}, "缺少必填项：险种（insurance_types）"),
            (
                {"insurance_types": "pension;maternity"},
                "险种（insurance_types）不正确：maternity，"
                "应为 pension、unemployment、medical、work_injury 中的一项或多项，以分号分隔",
            ),
            ({"insurance_types": "pension;pension"}, "险种（insurance_types）重复：pension;pension"),
            ({"category": "elderly"}, "灵活就业人员不填写人员类别（category）"),
            ({"annual_amount_yuan": "1000"}, "灵活就业人员不填写年缴费金额（annual_amount_yuan）"),
        ],
    )
    def test_flexible(self, change: dict[str, object], expected: str) -> None:
        assert reason({**flexible_row(), **change}) == expected

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            ("500", "年缴费金额（annual_amount_yuan）不正确：缴费金额须为1000至9000元之间的整元金额"),
            ("9001", "年缴费金额（annual_amount_yuan）不正确：缴费金额须为1000至9000元之间的整元金额"),
            ("1000.50", "年缴费金额（annual_amount_yuan）不正确：缴费金额须为1000至9000元之间的整元金额"),
            ("-1000", "年缴费金额（annual_amount_yuan）应为正数金额（元，最多两位小数）：-1000"),
        ],
    )
    def test_pension_amount(self, amount: str, expected: str) -> None:
        assert reason(pension_row(WANG_WU, amount=amount)) == expected

    def test_pension_refuses_flexible_fields(self) -> None:
        assert reason(pension_row(monthly_base_yuan="5000", category="elderly")) == (
            "城乡居民养老保险不填写人员类别（category）；城乡居民养老保险不填写月缴费基数（monthly_base_yuan）"
        )

    def test_every_problem_is_reported(self) -> None:
        row = {**medical_row(), "id_number": "123", "tax_office_code": "X", "category": ""}
        assert reason(row) == (
            "身份证号码应为18位；主管税务机关代码不存在：X；缺少必填项：人员类别（category）"
        )


class TestNames:
    @pytest.mark.parametrize(
        ("name", "shown"),
        [
            ("张\u202e三", "U+202E"),  # right-to-left override
            ("张三\u200b", "U+200B"),  # zero-width space
            ("\u2066张三\u2069", "U+2066、U+2069"),  # left-to-right isolate … pop directional isolate
            ("张\u200d三", "U+200D"),  # zero-width joiner
        ],
    )
    def test_invisible_characters_are_refused_and_named(self, name: str, shown: str) -> None:
        assert reason({**medical_row(), "name": name}) == (
            f"姓名（name）含有不可见字符（{shown}）：零宽、文字方向控制等字符无法输入，请删除后重新提交"
        )

    def test_names_are_nfkc_normalised(self) -> None:
        assert parse_row({**medical_row(), "name": "Ｊｏｈｎ  Ｓｍｉｔｈ"}, CONTEXT).name == "John Smith"
        assert parse_row({**medical_row(), "name": "\u2f25\u2f26"}, CONTEXT).name == "女子"  # Kangxi radicals
        assert parse_row({**medical_row(), "name": "阿依古丽·买买提"}, CONTEXT).name == "阿依古丽·买买提"
