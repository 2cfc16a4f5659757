"""Provider adapters (Alipay now; WeChat Pay, UnionPay, bank later), all behind `base.ChannelAdapter`."""

from shebao.payments.channels.base import (
    ChannelAdapter,
    ChannelError,
    ChannelNotification,
    ChannelOrder,
    ChannelPay,
    ChannelTimeout,
    InvalidNotification,
    TradeState,
)

__all__ = [
    "ChannelAdapter",
    "ChannelError",
    "ChannelNotification",
    "ChannelOrder",
    "ChannelPay",
    "ChannelTimeout",
    "InvalidNotification",
    "TradeState",
]
