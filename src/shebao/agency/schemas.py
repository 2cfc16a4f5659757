"""Request and response bodies of the agency enrolment interface."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from shebao.enrolment.rows import COLUMNS

MAX_ROWS = 1000
RowStatus = Literal["imported", "updated", "unchanged", "rejected"]

_ROWS_DESCRIPTION = (
    "参保数据行，每行一个对象，字段与CSV文件的列相同：" + ", ".join(COLUMNS) + "。"
    '金额以元为单位，写成文本（如 "7162.50"）或数字；险种以分号分隔。'
    f"每次最多{MAX_ROWS}行，更多数据请分批提交。"
)


class EnrolmentBatch(BaseModel):
    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ROWS,
        description=_ROWS_DESCRIPTION,
        examples=[
            [
                {
                    "id_type": "resident_id",
                    "id_number": "110102199001010011",
                    "name": "张三",
                    "phone": "13800138000",
                    "scheme": "flexible_employment",
                    "insurance_types": "pension;unemployment;medical;work_injury",
                    "monthly_base_yuan": "10000",
                    "tax_office_code": "11101020001",
                    "agency_code": "SB110102",
                    "period_start": "2025-05",
                }
            ]
        ],
    )


class RowReport(BaseModel):
    line: int = Field(description="行号：如同把 rows 写成CSV文件，表头为第1行，rows[0] 为第2行")
    index: int = Field(description="在 rows 中的位置（从0开始）")
    status: RowStatus
    reason: str = Field(description="中文说明：拒绝的原因，或导入、更新的结果与待生成的应缴费")


class EnrolmentReport(BaseModel):
    items: list[RowReport]
    imported: int
    updated: int
    unchanged: int
    rejected: int
    summary: str
