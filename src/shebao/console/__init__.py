"""The operators' console (税务所): operators, their login and sessions, roles, and the console's pages.

Each console section (payers, refunds, reconciliation, ...) is a router module of this package built on
`staff.Staff` and the dependencies of `deps`; the domains' rules stay in their own packages.
"""
