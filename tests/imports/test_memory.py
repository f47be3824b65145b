"""The readers stream: memory stays flat however long the file."""

from __future__ import annotations

import tracemalloc

from domain.imports.readers import read_csv, read_jsonl

ROWS = 200_000
PEAK_LIMIT = 2 * 1024 * 1024


def _measure(rows) -> tuple[int, int]:
    """(rows read, peak bytes allocated while reading them)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_reading_a_large_csv_does_not_hold_it():
    # given: some 10 MB of GB18030 CSV, built before measuring
    lines = ["客户名称,电话,邮箱,备注"] + [
        f"客户{n},138{n:08d},c{n}@example.com,第{n}行" for n in range(ROWS)
    ]
    data = "\r\n".join(lines).encode("gb18030")
    assert len(data) > 3 * PEAK_LIMIT

    # when
    count, peak = _measure(read_csv(data))

    # then
    assert count == ROWS
    assert peak < PEAK_LIMIT, f"peak {peak} bytes for a {len(data)}-byte file"


def test_reading_a_large_jsonl_does_not_hold_it():
    data = b"".join(b'{"name": "c%d", "phone": "138%08d"}\n' % (n, n) for n in range(ROWS))
    assert len(data) > 3 * PEAK_LIMIT

    count, peak = _measure(read_jsonl(data))

    assert count == ROWS
    assert peak < PEAK_LIMIT, f"peak {peak} bytes for a {len(data)}-byte file"
