"""Enrolment (参保登记): what the social insurance agencies say about who is insured in which scheme.

- `terms`: an enrolment's terms as plain values (scheme, category, insurance types, base, amount,
  tax office, agency, fee periods), shared by the row parser, the model and the payables pricing.
- `rows`: one CSV or JSON row → validated `EnrolmentRow`, or a Chinese reason (`RowRejected`).
- `service`: the import of a chunk of rows (create or update persons and enrolments, audit, payables).
- `importer`: the CSV file and the chunked transactions around the service (`shebao import enrolments`).
- `keys`: per-agency keys of the agency API, stored as SHA-256 hashes.
"""
