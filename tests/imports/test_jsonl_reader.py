from __future__ import annotations

from domain.imports.jsonl_reader import MAX_LINE_BYTES, read_jsonl
from domain.imports.rows import RowProblem


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
