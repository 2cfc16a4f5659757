"""The interface every payment provider adapter implements (Alipay, WeChat Pay, UnionPay, the bank).

The payment core owns the states (DESIGN.md): an adapter only talks to its provider and answers in
these provider-neutral terms. Amounts are integer fen; times are aware datetimes (UTC or with offset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

ClientChannel = Literal["h5", "alipay_mp", "baidu_mp", "wechat_mp"]
PayKind = Literal["redirect", "mini_program", "deduction"]
TradeStatus = Literal["pending", "succeeded", "failed", "closed", "not_found"]
NotificationStatus = Literal["succeeded", "closed", "pending"]
RefundStatus = Literal["succeeded", "pending", "failed"]


@dataclass(frozen=True)
class ChannelDebit:
    """The account an agreement payment (协议支付) deducts from, as the agreement names it."""

    agreement_no: str
    bank_code: str
    branch_code: str
    account_no: str
    holder_name: str
    tax_office_code: str


@dataclass(frozen=True)
class ChannelOrder:
    """What the core asks a provider to collect: one payment, under its own out_trade_no."""

    out_trade_no: str
    amount_fen: int
    subject: str
    client_channel: str  # h5 | alipay_mp | baidu_mp | wechat_mp
    platform_user_id: str | None  # the payer's openid / buyer id inside a mini program
    notify_url: str
    return_url: str
    expires_at: datetime  # the provider refuses payment after this moment
    debit: ChannelDebit | None = None  # agreement payments only: the account to deduct from


@dataclass(frozen=True)
class ChannelPay:
    """What the client needs to pay: a URL to send the browser to, or the mini program's pay parameters.

    A real-time deduction needs nothing from the client: it answers its completed result as `outcome`."""

    kind: PayKind
    url: str | None
    params: dict[str, str] = field(default_factory=dict)
    outcome: TradeState | None = None


@dataclass(frozen=True)
class TradeState:
    """The provider's answer to a query."""

    out_trade_no: str
    status: TradeStatus
    amount_fen: int | None
    provider_trade_no: str | None
    paid_at: datetime | None
    failure_reason: str | None = None  # "failed": the provider's reason, in Chinese


@dataclass(frozen=True)
class ChannelNotification:
    """A verified provider notification; the core checks its amount against the payment."""

    event_id: str  # unique per provider event (Alipay: notify_id); the inbox's key with the channel
    out_trade_no: str
    amount_fen: int
    app_id: str
    status: NotificationStatus
    provider_trade_no: str | None
    paid_at: datetime | None
    raw: dict[str, str]
    sent_at: datetime | None = None  # the provider's send time (Alipay: notify_time), for freshness checks


class ChannelError(Exception):
    """The provider refused or answered something unusable: nothing happened, or nothing can be trusted."""


class ChannelDeclined(ChannelError):
    """The provider looked at the payment and declined it (余额不足, 账号与户名不符 …): a final outcome."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


# Deliberately not a ChannelError: "no answer" must never be handled as "refused" — the payment becomes
# unknown and is settled by querying, not marked failed.
class ChannelTimeout(Exception):
    """No answer from the provider (network error, timeout, gateway error): the outcome is unknown."""


class InvalidNotification(Exception):
    """A notification that is not the provider's, or not for us: bad signature, wrong app id, bad format."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ChannelAdapter(Protocol):
    """One provider. Calls are synchronous and go out through `shebao.kit.http.client()`."""

    method: str  # the payment method it serves: alipay | wechat | unionpay | agreement

    def create(self, order: ChannelOrder) -> ChannelPay:
        """Open the trade at the provider (or prepare the signed order the browser carries)."""
        ...

    def query(self, out_trade_no: str) -> TradeState:
        """Ask the provider where the trade stands."""
        ...

    def close(self, out_trade_no: str) -> bool:
        """Close the trade; True when the provider confirms it is closed or never existed."""
        ...

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> ChannelNotification:
        """Verify the signature over the raw body and the app id; raise InvalidNotification otherwise."""
        ...

    def ack_body(self) -> tuple[int, str, str]:
        """The answer that tells the provider the notification was received: status, content type, body."""
        ...


@dataclass(frozen=True)
class ChannelRefund:
    """What the core asks a provider to give back from one collected payment (退费), under a refund request
    id the provider deduplicates by: a retry after a timeout, with the same id, never refunds twice."""

    out_refund_no: str  # ours: Alipay out_request_no, WeChat out_refund_no, UnionPay 退货 orderId
    out_trade_no: str  # the payment refunded
    provider_trade_no: str | None  # the provider's id of that payment (trade_no, transaction_id, queryId)
    amount_fen: int  # at most the payment's amount
    total_fen: int  # the payment's amount (WeChat Pay asks for both)
    reason: str
    notify_url: str  # where a provider that answers later sends its refund notification
    paid_at: datetime | None  # UnionPay's 退货 names the original trade's time


@dataclass(frozen=True)
class RefundState:
    """A provider's answer to a refund request or a refund query.

    "pending": accepted, the money is on its way back; a notification or a query tells the end.
    "failed": refused for good (the provider's reason in Chinese); a new request may be made."""

    out_refund_no: str
    status: RefundStatus
    amount_fen: int | None
    provider_refund_no: str | None
    refunded_at: datetime | None
    failure_reason: str | None = None


@dataclass(frozen=True)
class RefundNotification:
    """A verified refund notification (WeChat Pay REFUND.SUCCESS, UnionPay's 退货 backend notice)."""

    event_id: str
    out_refund_no: str
    out_trade_no: str
    amount_fen: int
    status: Literal["succeeded", "failed"]
    provider_refund_no: str | None
    refunded_at: datetime | None
    raw: dict[str, str]


class RefundingAdapter(Protocol):
    """The refund protocol of one provider (issue 16): each of the four adapters implements it.

    `refund` raises ChannelTimeout when the outcome is unknown (then retried with the same out_refund_no,
    or queried) and ChannelDeclined for a final refusal. A provider that answers every refund within the
    call (Alipay, the bank) refuses notifications with InvalidNotification."""

    method: str

    def refund(self, refund: ChannelRefund) -> RefundState: ...

    def query_refund(self, out_refund_no: str, out_trade_no: str) -> RefundState: ...

    def parse_refund_notification(self, body: bytes, headers: Mapping[str, str]) -> RefundNotification: ...
