"""The payment core: open a payment, apply provider notifications, settle by query, close what is open.

Provider calls never run inside a database transaction: a transaction decides, commits, then the
provider is called, then another transaction records the answer. No lock is held across the network,
and on SQLite the single write lock is never held while the (in-process) sandbox needs it.
"""
