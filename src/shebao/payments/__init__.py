"""Payments: one try to pay one declaration with one method at one provider (DESIGN.md, "payment").

`channels/` holds one adapter per provider behind the interface of `channels/base.py`; the payment core
(state machine, inbox of channel events, query and close jobs) speaks only that interface.
"""
