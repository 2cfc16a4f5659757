"""Payments made elsewhere (全渠道): the tax core's feed of payments at counters, banks and other apps.

Each fed payment is matched to a declaration of ours or to the payables it paid, recorded as a
succeeded payment of method `elsewhere` (unique on the tax core's id, so a feed is idempotent) and
applied through the one settle path: it pays what is unpaid, and meets a declaration already paid here
as a duplicate to refund.
"""
