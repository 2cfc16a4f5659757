from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.ids import OptionalId
from shebao.kit.pagination import Paged
from shebao.payables.schemas import Insured, Office

Scheme = Literal["resident_medical", "resident_pension", "flexible_employment"]


class DeclarationCreate(BaseModel):
    """Only what to declare: every amount is computed on the server (an amount field is refused)."""

    model_config = ConfigDict(extra="forbid")

    payable_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    payer_id: OptionalId = Field(default=None, description="家庭成员的 id；缺省为本人")
    annual_amount_fen: int | None = Field(
        default=None, description="仅城乡居民养老保险：选择的年缴费金额（分），须为范围内的整元金额"
    )


class DeclarationItem(BaseModel):
    payable_id: str
    levy_item: str
    insurance_type: str | None
    period_start: str
    period_end: str
    base_amount_fen: int
    late_fee_fen: int
    amount_fen: int


class Declaration(BaseModel):
    id: str
    status: Literal["processing", "succeeded", "voided", "failed"]
    status_label: str
    payment_status: Literal["unpaid", "paid"]
    kind: Literal["normal", "back_payment"]
    kind_label: str = Field(description="正常缴费 | 补缴")
    scheme: Scheme
    scheme_label: str
    channel: str
    insured: Insured
    declared_for_other: bool = Field(description="代他人申报")
    tax_office: Office
    agency: Office
    period_start: str
    period_end: str
    total_fen: int
    late_fee_fen: int
    deadline: date = Field(description="缴款期限（含当日）")
    declared_at: datetime
    voided_at: datetime | None
    paid_at: datetime | None
    failure_reason: str | None
    items: list[DeclarationItem]


class DeclarationList(Paged):
    items: list[Declaration]
