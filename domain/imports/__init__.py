"""Imports: uploaded bytes in, rows keyed by canonical field names out, applied in chunks.

- `readers` (CSV, JSON Lines) and `xlsx`: bytes → a stream of (row number, {header: text}).
- `mapping`: file headers → the canonical fields of each import kind (automatic in English
  and Chinese, or explicit); `values` types the cells a CSV cannot (numbers, dates, instants).
- `jobs` and `runner`: the job in the database, run in chunks. `engine` owns the
  row loop every kind shares; each kind is a `Spec` in its module (`customer_rows`,
  `contact_rows`, `activity_rows`, `opportunity_rows`), gathered in `specs.SPECS`.
"""
