"""The refunds as the console's JSON API shows them (API.md, Operator console)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.pagination import Paged

RefundStatusName = Literal["pending", "proposed", "sending", "succeeded", "failed"]


class RefundItem(BaseModel):
    id: str
    status: RefundStatusName = Field(
        description="pending 待退款 → proposed 待审核 → sending 退款处理中 → succeeded 已退款 | failed 失败"
    )
    status_label: str
    payment_id: str
    method: str = Field(description="原缴款的支付方式：alipay | wechat | unionpay | agreement | elsewhere")
    method_label: str
    amount_fen: int = Field(description="退费金额（分），不超过原缴款金额")
    tax_office_code: str
    payer_name: str = Field(description="缴费对象姓名（脱敏）")
    reason: str | None
    proposed_by: str | None
    approved_by: str | None
    created_at: datetime


class RefundList(Paged):
    items: list[RefundItem]


class RefundDetail(RefundItem):
    origin: str
    origin_label: str
    out_refund_no: str = Field(description="退款请求号：渠道据此去重，重试不会重复退款")
    out_trade_no: str
    payment_amount_fen: int
    paid_at: datetime | None
    proposed_at: datetime | None
    approved_at: datetime | None
    provider_refund_no: str | None
    failure_reason: str | None
    refunded_at: datetime | None
    send_attempts: int


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=200, description="退费原因（必填）")
    amount_fen: int | None = Field(
        default=None, ge=1, le=10**12, description="退费金额（分）；不填为原缴款全额，不得超过原缴款金额"
    )
