"""Alipay (支付宝) open platform: the channel adapter, its RSA2 signing and its keys."""

from shebao.channels.alipay.adapter import AlipayAdapter, AlipayRefused, alipay_adapter

__all__ = ["AlipayAdapter", "AlipayRefused", "alipay_adapter"]
