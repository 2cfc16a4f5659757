"""WeChat Pay (微信支付) API v3: the channel adapter, its signatures, callbacks and keys."""

from shebao.channels.wechat.adapter import WechatAdapter, WechatRefused, wechat_adapter

__all__ = ["WechatAdapter", "WechatRefused", "wechat_adapter"]
