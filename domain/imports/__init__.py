"""Customer imports, first layer: uploaded bytes in, rows keyed by canonical field names out.

- `readers`: CSV / XLSX / JSONL bytes → a stream of (row number, {header: text or None}).
- `mapping`: file headers → canonical customer fields (automatic in English and Chinese,
  or explicit), plus the value helpers `split_tags` and `parse_kind`.

Nothing here touches the database: the import job (a later layer) validates each mapped
row with the same domain rules as the API and records row errors.
"""
