"""Provider adapters (Alipay now; WeChat Pay, UnionPay, bank later), all behind `base.ChannelAdapter`."""

from shebao.channels.base import (
    ChannelAdapter,
    ChannelDebit,
    ChannelDeclined,
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
    "ChannelDebit",
    "ChannelDeclined",
    "ChannelError",
    "ChannelNotification",
    "ChannelOrder",
    "ChannelPay",
    "ChannelTimeout",
    "InvalidNotification",
    "TradeState",
]
