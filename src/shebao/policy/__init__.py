"""Policy: the figures behind every amount (rates, bases, ranges, windows) and the arithmetic on them.

- `shebao.policy.tables` loads a region's TOML files (packaged: `shebao/policies/beijing/*.toml`; a
  deployment may point at its own directory) into frozen, validated records. Each figure carries its
  fee periods, `source` and `verified`; a period without a table raises `PolicyMissing`, never a guess.
  The records and their lookups are `policy.records`, the reading of TOML into them `policy.reading`.
- `shebao.policy.calc` holds pure functions that turn tables, periods and `today` into integer fen:
  resident medical amounts, resident pension ranges and subsidies, flexible-employment contributions,
  due dates and late fees.
"""
