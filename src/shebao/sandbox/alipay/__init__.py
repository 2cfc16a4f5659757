"""The simulated Alipay: open-platform gateway, cashier, notifications — the real protocol, its own keys."""
