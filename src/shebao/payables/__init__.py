"""Payables (应缴费信息): what each insured person owes, per scheme, levy item and fee period.

- `pricing`: pure functions from enrolment terms, the policy tables and `today` to the payables due
  (and those waiting for a policy table), and the late fee of a payable as of today.
- `service`: generation for one enrolment (import, update) and the sweep that adds new periods as the
  service clock moves (`shebao payables generate`, the periodic task).
- `endpoints`: `GET /api/v1/payables`.
"""
