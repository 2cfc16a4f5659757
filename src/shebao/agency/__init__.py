"""What the social insurance agencies send (DESIGN.md: agency import ─▶ enrolment ─▶ payables).

- `service`: the import of a chunk of rows (create or update persons and enrolments, audit, payables).
- `importer`: the CSV file and the chunked transactions around the service (`shebao import enrolments`).
- `endpoints`, `schemas`: `POST /api/v1/agency/enrolments`; `keys`: per-agency keys of that API, stored
  as SHA-256 hashes; `cli`: the commands; `demo`: the demo's payers, enrolled through the import.
"""
