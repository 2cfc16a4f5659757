"""Enrolment (参保登记): what the social insurance agencies say about who is insured in which scheme.

- `terms`: an enrolment's terms as plain values (scheme, category, insurance types, base, amount,
  tax office, agency, fee periods), shared by the row parser, the model and the payables pricing.
- `rows`: one CSV or JSON row → validated `EnrolmentRow`, or a Chinese reason (`RowRejected`).
- `models`, `repository`: enrolments and the agencies' API keys.

The import of rows, which creates enrolments and their payables, is `shebao.agency`'s: it sits above
both `enrolment` and `payables`.
"""
