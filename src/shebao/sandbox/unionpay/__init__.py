"""The simulated UnionPay online gateway (5.1.0): front form, query, the cashier page, signed back
notifications — the real protocol, its own signing key."""
