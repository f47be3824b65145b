from __future__ import annotations

from domain.imports.limits import MAX_JSON_DEPTH
from domain.imports.readers import MAX_LINE_BYTES, read_jsonl
from domain.imports.rows import RowProblem
from tests.cpu import cpu_time

TOO_DEEP = RowProblem(f"The line nests objects or arrays more than {MAX_JSON_DEPTH} levels deep.")


def test_a_bad_line_is_a_row_problem_and_reading_goes_on():
    # given
    data = "\n".join(
        [
            '{"name": "北京星辰科技", "phone": 13800138000, "vip": true, "score": 4.0}',
            "[1, 2]",
            '{"name": "unterminated',
            "",
            '{"name": " Acme ", "contact": {"name": "张伟", "phone": null}, "tags": ["重点客户", "VIP"]}',
        ]
    ).encode()

    # when
    rows = list(read_jsonl(data))

    # then
    assert rows == [
        (1, {"name": "北京星辰科技", "phone": "13800138000", "vip": "true", "score": "4"}),
        (2, RowProblem("Not a JSON object.")),
        (3, RowProblem("Not valid JSON: Unterminated string starting at (column 10).")),
        (4, None),  # a blank line: nothing to import, but the reader hands control back
        (
            5,
            {
                "name": "Acme",
                "contact.name": "张伟",
                "contact.phone": None,
                "tags": "重点客户, VIP",
            },
        ),
    ]


def test_a_bom_and_crlf_line_ends_are_accepted():
    data = b'\xef\xbb\xbf{"name": "A"}\r\n{"name": "B"}\r\n'

    assert list(read_jsonl(data)) == [(1, {"name": "A"}), (2, {"name": "B"})]


def test_a_line_in_another_encoding_is_a_row_problem():
    data = b'{"name": "A"}\n' + '{"name": "坏"}'.encode("gb18030") + b'\n{"name": "C"}\n'

    assert list(read_jsonl(data)) == [
        (1, {"name": "A"}),
        (2, RowProblem("Not UTF-8 text.")),
        (3, {"name": "C"}),
    ]


def test_an_overlong_line_is_skipped_without_being_read_whole():
    data = b'{"notes": "' + b"x" * (MAX_LINE_BYTES * 2) + b'"}\n{"name": "B"}\n'

    assert list(read_jsonl(data)) == [
        (1, RowProblem("The line is longer than 1 MB.")),
        (2, {"name": "B"}),
    ]


def test_blank_lines_each_hand_control_back():
    # given: a row, then blank lines (before: skipped inside the reader, nothing yielded)
    data = b'{"name": "A"}\n\n  \r\n{"name": "B"}\n'

    assert list(read_jsonl(data)) == [
        (1, {"name": "A"}),
        (2, None),
        (3, None),
        (4, {"name": "B"}),
    ]


def test_lines_nested_too_deep_are_row_problems_at_once():
    # given: 100,000 "[" (before: a RecursionError out of the reader, the job retried for
    # minutes), objects within objects past the bound, and a line just within it
    within = b'{"a":' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH
    data = b"\n".join(
        [
            b"[" * 100_000,
            b'{"a":' * 100_000,
            b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
            within,
            b'{"name": "B"}',
        ]
    )

    # when
    with cpu_time() as cpu:
        rows = list(read_jsonl(data))

    # then
    assert rows == [
        (1, TOO_DEEP),
        (2, TOO_DEEP),
        (3, TOO_DEEP),
        (4, {".".join(["a"] * MAX_JSON_DEPTH): "1"}),
        (5, {"name": "B"}),
    ]
    assert cpu.seconds < 0.5, cpu.seconds  # CPU seconds (tests/cpu.py)
