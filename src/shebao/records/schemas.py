from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shebao.kit.pagination import Paged
from shebao.payables.schemas import Insured, Office


class RecordItem(BaseModel):
    levy_item: str = Field(description="征收项目")
    period_start: str
    period_end: str
    amount_fen: int
    late_fee_fen: int


class PaymentRecord(BaseModel):
    id: str = Field(description="缴款（payment）的 id")
    declaration_id: str
    scheme: str
    scheme_label: str = Field(description="险种")
    period_start: str = Field(description="费款所属期起")
    period_end: str = Field(description="费款所属期止")
    amount_fen: int
    paid_at: datetime = Field(description="缴款日期和时间（北京时间）")
    eticket_no: str | None = Field(description="电子税票号码；重复缴费待退款的记录没有")
    channel: str = Field(description="缴费渠道：alipay_mp | baidu_mp | wechat_mp | h5 | counter | bank")
    channel_label: str
    method: str
    method_label: str = Field(description="缴费方式")
    tax_office: Office
    insured: Insured = Field(description="缴费对象（脱敏）")
    paid_by: str = Field(description="缴款人姓名（脱敏）")
    for_other: bool = Field(description="代他人缴费")
    duplicate: bool = Field(description="重复缴费（申报已由另一笔缴款付清）：原路退回")
    refund_status: str | None = Field(description="重复缴费的退款：to_refund 待退款 | refunded 已退款")
    items: list[RecordItem]


class PaymentRecordList(Paged):
    items: list[PaymentRecord]
