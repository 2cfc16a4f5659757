from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shebao.kit.ids import OptionalId

Method = Literal["alipay", "wechat", "unionpay", "agreement"]


class PaymentMethod(BaseModel):
    code: str
    name: str


class PaymentMethodList(BaseModel):
    items: list[PaymentMethod]


class PaymentCreate(BaseModel):
    """No amount: a payment pays exactly its declaration's total."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: uuid.UUID = Field(description="申报编号（申报的 id）")
    method: Method
    agreement_id: OptionalId = Field(default=None, description="协议支付时的协议编号（协议的 id）")
    platform_user_id: str | None = Field(
        default=None, max_length=128, description="小程序内付款人的 openid / buyer_id"
    )


class Payment(BaseModel):
    id: str
    status: Literal["created", "pending", "succeeded", "failed", "closed", "unknown"]
    status_label: str
    method: str
    method_label: str
    channel: str
    amount_fen: int
    out_trade_no: str
    declaration_id: str
    for_other: bool = Field(description="代他人缴费")
    eticket_no: str | None = Field(description="电子税票号码（支付成功后）")
    failure_reason: str | None
    duplicate: bool = Field(description="重复缴费：该申报已由另一笔缴款付清，本笔待退款")
    refund_status: str | None
    created_at: datetime
    succeeded_at: datetime | None
    expires_at: datetime
    pay: dict[str, Any] | None = Field(description="客户端完成支付所需：跳转地址或小程序支付参数")
