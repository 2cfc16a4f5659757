from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.pagination import Paged


class ContributionSettingCreate(BaseModel):
    """缴费金额设置. The amounts are the server's: medical at the policy amount, pension within the range."""

    model_config = ConfigDict(extra="forbid")

    scheme: str = Field(
        max_length=24,
        description="resident_pension（城乡居民养老保险）或 resident_medical（城乡居民基本医疗保险）",
    )
    payer_id: uuid.UUID | None = Field(default=None, description="缴费对象：家庭成员的 id；不填为本人")
    agreement_id: uuid.UUID = Field(description="缴费人本人的缴费协议（须为缴费对象主管税务机关的协议）")
    valid_from: int = Field(ge=1900, le=9999, description="有效期起（费款所属年度，含）")
    valid_to: int = Field(ge=1900, le=9999, description="有效期止（费款所属年度，含）")
    annual_amount_fen: int | None = Field(
        default=None, description="养老保险必填：每个所含年度缴费标准范围内的整元金额（分）；医疗保险不可填"
    )


class Deduction(BaseModel):
    id: str = Field(description="扣款编号（按设置与应缴费稳定不变）")
    fee_year: int
    status: Literal["sent", "succeeded", "failed"] = Field(description="sent：已发送银行，等待结果")
    status_label: str
    amount_fen: int
    failure_reason: str | None
    eticket_no: str | None
    bank_code: str | None = None
    run_date: date | None = None
    updated_at: datetime | None = None


class ContributionSetting(BaseModel):
    id: str
    status: Literal["active", "voided"]
    status_label: str
    scheme: str
    scheme_label: str
    person_name: str = Field(description="缴费对象姓名（脱敏）")
    for_self: bool = Field(description="是否为本人设置")
    annual_amount_fen: int | None = Field(description="每年缴费金额（分）；医疗保险为有效期起年度的政策标准")
    agreement_id: str
    agreement_no: str
    bank_name: str
    account_no: str = Field(description="扣款账号（脱敏）")
    tax_office_code: str
    valid_from: int
    valid_to: int
    created_at: datetime
    voided_at: datetime | None
    deductions: list[Deduction]


class ContributionSettingList(Paged):
    items: list[ContributionSetting]
