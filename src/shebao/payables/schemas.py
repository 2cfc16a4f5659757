"""Response bodies of `GET /api/v1/payables`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from shebao.kit.pagination import Paged

PayableStatus = Literal["to_declare", "declared", "paid"]
Scheme = Literal["resident_medical", "resident_pension", "flexible_employment"]


class Office(BaseModel):
    code: str
    name: str


class Insured(BaseModel):
    """Whose payable it is (masked: the list may be a family member's)."""

    name: str = Field(description="姓名（脱敏）")
    id_type: str
    id_number: str = Field(description="证件号码（脱敏）")


class Payable(BaseModel):
    id: str
    scheme: Scheme
    scheme_label: str = Field(description="如 城乡居民基本医疗保险")
    insurance_type: str | None = Field(
        description="灵活就业人员的险种：pension | unemployment | medical | work_injury"
    )
    insurance_type_label: str | None = Field(description="如 基本养老保险")
    levy_item: str = Field(description="征收项目，如 基本医疗保险基金收入、城乡居民基本医疗保险费")
    period_start: str = Field(description="费款所属期起 YYYY-MM")
    period_end: str = Field(description="费款所属期止 YYYY-MM")
    base_amount_fen: int = Field(description="应缴费额（不含滞纳金），分")
    late_fee_fen: int = Field(description="截至今日的滞纳金，分")
    amount_fen: int = Field(description="应缴金额 = base_amount_fen + late_fee_fen，分")
    due_date: date = Field(description="缴费期限：此日之后按日加收滞纳金（城乡居民为缴费期最后一日）")
    overdue: bool = Field(description="已过缴费期限")
    status: PayableStatus
    status_label: str = Field(description="待申报 | 已申报待缴款 | 已缴款")
    tax_office: Office = Field(description="主管税务机关（所），name 为全称")
    agency: Office = Field(description="社保经办机构")
    insured: Insured
    declaration_id: str | None


class PayableList(Paged):
    items: list[Payable]
    to_declare_total_fen: int = Field(
        description="整个列表（各页合计，不只本页）中待申报应缴费的应缴金额合计（含滞纳金），分"
    )
    as_of: date = Field(description="金额与滞纳金的计算日（服务时钟的今天，北京时间）")
