"""Refunds (退费): money we hold without a declaration to pay, given back through the channel it came by.

The settlement core opens a `pending` refund with each duplicate (payments/refunds.py); here an operator
proposes it with a reason, another person with the approver role approves it (maker-checker), and it is
sent through the original channel's refund protocol under one refund request id (decision 0015).
"""
