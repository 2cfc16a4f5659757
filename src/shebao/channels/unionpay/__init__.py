"""UnionPay (银联) online gateway 5.1.0: the channel adapter, its signatures, back notifications, keys."""

from shebao.channels.unionpay.adapter import UnionpayAdapter, UnionpayRefused, unionpay_adapter

__all__ = ["UnionpayAdapter", "UnionpayRefused", "unionpay_adapter"]
