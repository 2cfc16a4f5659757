"""Which payment methods a client channel offers (API.md), and the adapter of each method."""

from __future__ import annotations

from typing import Final

from shebao.config import Settings
from shebao.payments.channels.base import ChannelAdapter
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
    return methods


def methods_for(channel: str, settings: Settings) -> list[str]:
    configured = configured_methods(settings)
    return [m for m in OFFERED_BY_CHANNEL.get(channel, OFFERED_BY_CHANNEL["h5"]) if m in configured]


def adapter_for(method: str, runtime: Runtime) -> ChannelAdapter:
    """One adapter per method and process (adapters hold keys, parsed once)."""
    adapter: ChannelAdapter | None = runtime.adapters.get(method)
    if adapter is None:
        if method == "alipay":
            from shebao.payments.channels.alipay.adapter import alipay_adapter

            adapter = alipay_adapter(runtime.settings, now=runtime.clock.now)
        else:
            raise KeyError(method)
        runtime.adapters[method] = adapter
    return adapter
