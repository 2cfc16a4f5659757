from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.pagination import Paged

Scheme = Literal["resident_medical", "resident_pension", "flexible_employment"]
Status = Literal["pending", "active", "revoked", "rejected"]


class AgreementCreate(BaseModel):
    """新增协议. The cardholder must be the payer; the bank verifies the account before it is signed."""

    model_config = ConfigDict(extra="forbid")

    tax_office_code: str = Field(max_length=16, description="税务机关（须与缴费的主管税务机关一致）")
    agency_code: str = Field(max_length=16, description="社保经办机构")
    bank_code: str = Field(max_length=16, description="开户银行")
    bank_region_code: str = Field(max_length=16, description="银行行政区划（GB/T 2260 区县代码）")
    branch_code: str = Field(max_length=16, description="银行网点（12位行号）")
    holder_name: str = Field(max_length=50, description="持卡人姓名（须为缴费人本人）")
    account_no: str = Field(max_length=40, description="银行账号")
    withhold: bool = Field(default=False, description="是否银行代扣（批量扣款）")
    withhold_schemes: list[Scheme] = Field(default_factory=list, max_length=3, description="代扣险种")


class Agreement(BaseModel):
    id: str
    agreement_no: str = Field(description="协议编号")
    status: Status = Field(description="按服务时钟计算：待生效次日起为已生效")
    status_label: str
    payer_name: str = Field(description="缴费人姓名（脱敏）")
    tax_office_code: str
    tax_office_name: str
    agency_code: str
    agency_name: str
    bank_code: str
    bank_name: str
    bank_region_code: str
    branch_code: str
    branch_name: str
    account_no: str = Field(description="银行账号（脱敏）")
    withhold: bool
    withhold_schemes: list[str]
    withhold_scheme_labels: list[str]
    effective_from: date | None = Field(description="生效日期（北京时间）；签约失败时为空")
    failure_reason: str | None = Field(description="签约失败时银行给出的原因")
    signed_at: datetime
    revoked_at: datetime | None
    usable: bool | None = Field(
        default=None, description="按 declaration_id 查询时：能否用于该申报的协议支付"
    )
    unusable_reason: str | None = Field(default=None, description="不能使用的原因")


class AgreementList(Paged):
    items: list[Agreement]
