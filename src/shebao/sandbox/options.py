"""The models of the sandboxes' trade API (API.md, Sandboxes): a provider's refusal, what every
provider's trade shows, and the request and answer bodies of the providers whose notifications are
delivery events (WeChat Pay, UnionPay; `deliveries.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class Refusal(Exception):
    """A provider's refusal: its str is the Chinese reason (a 409 of the trade API says it), `said` the
    reason with the provider's code, as a refused order says it (400)."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.said = f"{reason}（{code}）"


class TradeView(BaseModel):
    """What every provider's sandbox trade shows; each provider's `SandboxTrade` adds its own fields."""

    status: str
    amount_fen: int
    notify_state: str
    notify_attempts: int
    created_at: datetime
    paid_at: datetime | None
    closed_at: datetime | None


class EventTradeView(TradeView):
    event_id: str | None
    delayed_copies: int


class PayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notify: bool = Field(default=True, description="false：通知丢失，只能通过查询或对账得知")
    force: bool = Field(
        default=False, description="true：即使交易（订单）已关闭也付款（模拟关闭与付款的竞态）"
    )


class CancelOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotifyCopies(BaseModel):
    model_config = ConfigDict(extra="forbid")
    copies: int = Field(ge=1, le=100, description="再发送几次当前通知（同一事件）")
    delay_seconds: int = Field(
        default=0, ge=0, le=86_400, description="按服务时钟延迟多少秒再发送（模拟乱序、迟到的通知）"
    )


class CopiesSent(BaseModel):
    out_trade_no: str
    event_id: str
    copies: int
    delay_seconds: int


class RefundFaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeouts: int = Field(
        default=0, ge=0, le=100, description="接下来几笔退款请求：已受理，但应答丢失（网关超时）"
    )
    lost: int = Field(default=0, ge=0, le=100, description="接下来几笔退款请求：请求丢失，未受理（网关超时）")
    later: bool = Field(default=False, description="true：退款先答复处理中，1分钟后（服务时钟）完成并通知")


class RefundOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    succeeded: bool = Field(default=True, description="false：退款失败（微信支付：退款异常）")
    notify: bool = Field(default=True, description="false：通知丢失，只能通过查询得知")


class RefundView(BaseModel):
    """A refund in a sandbox's ledger."""

    out_refund_no: str
    refund_no: str
    out_trade_no: str
    amount_fen: int
    status: str
    event_id: str | None
    notify_state: str
    notify_attempts: int
    created_at: datetime
    refunded_at: datetime | None


class RefundLedger(BaseModel):
    """A trade's refunds in a sandbox's ledger: what they gave back (failed ones nothing), and each."""

    refunded_fen: int
    items: list[RefundView]
