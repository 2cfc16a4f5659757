"""Which payment methods a client channel offers (API.md), and the adapter of each method."""

from __future__ import annotations

from typing import Final

from shebao.channels.base import ChannelAdapter
from shebao.config import Settings
from shebao.runtime import Runtime

# API.md: the methods each client channel offers, in its order, "each only once it is built and configured".
OFFERED_BY_CHANNEL: Final = {
    "alipay_mp": ("agreement", "alipay"),
    "baidu_mp": ("wechat", "alipay", "unionpay", "agreement"),
    "wechat_mp": ("wechat", "agreement"),
    "h5": ("alipay", "wechat", "unionpay", "agreement"),
}


def configured_methods(settings: Settings) -> set[str]:
    methods = set()
    if settings.alipay_enabled:
        methods.add("alipay")
    if settings.wechat_enabled:
        methods.add("wechat")
    if settings.unionpay_enabled:
        methods.add("unionpay")
    if settings.bank_enabled:
        methods.add("agreement")
    return methods


# Methods whose provider answers the outcome within the call (a real-time bank deduction). While such a
# payment is open its request is still talking to the provider: it can be neither closed nor replaced.
REAL_TIME_METHODS: Final = frozenset({"agreement"})


def answers_at_once(method: str) -> bool:
    return method in REAL_TIME_METHODS


def methods_for(channel: str, settings: Settings) -> list[str]:
    configured = configured_methods(settings)
    return [m for m in OFFERED_BY_CHANNEL.get(channel, OFFERED_BY_CHANNEL["h5"]) if m in configured]


def adapter_for(method: str, runtime: Runtime) -> ChannelAdapter:
    """One adapter per method and process (adapters hold keys, parsed once)."""
    adapter: ChannelAdapter | None = runtime.adapters.get(method)
    if adapter is None:
        if method == "alipay":
            from shebao.channels.alipay.adapter import alipay_adapter

            adapter = alipay_adapter(runtime.settings, now=runtime.clock.now)
        elif method == "wechat":
            from shebao.channels.wechat.adapter import wechat_adapter

            adapter = wechat_adapter(runtime.settings, now=runtime.clock.now)
        elif method == "unionpay":
            from shebao.channels.unionpay.adapter import unionpay_adapter

            adapter = unionpay_adapter(runtime.settings, now=runtime.clock.now)
        elif method == "agreement":
            from shebao.channels.bank.adapter import bank_adapter

            adapter = bank_adapter(runtime.settings, now=runtime.clock.now)
        else:
            raise KeyError(method)
        runtime.adapters[method] = adapter
    return adapter
