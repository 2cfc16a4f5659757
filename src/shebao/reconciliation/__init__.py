"""Reconciliation (对账): each provider's daily statement against our payments. Settles what a lost
notification left open; reports amounts that differ and payments one side does not know, for an
operator — never changed silently."""
