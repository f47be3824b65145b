"""The customer list the reader tests share, written out in each format and encoding."""

from __future__ import annotations

import csv
import io

HEADER = ["客户名称", "电话", "邮箱", "类型", "线索来源", "联系人", "联系人电话", "标签"]
RECORDS = [
    [
        "北京星辰科技有限公司",
        "13800138000",
        "info@xingchen.cn",
        "企业",
        "展会",
        "张伟",
        "13900139000",
        "重点客户、VIP，SaaS",
    ],
    ["上海浦江贸易\n（华东分部）", "021-55550100", "", "公司", "官网", " 李娜 ", "", ""],
    [],  # a blank line, as spreadsheets leave between blocks
    ["王小明", "+86 137 0000 1111", "wxm@example.com", "个人", "转介绍, 老客户", "", "", "老客户"],
]

# What every reader gives back for RECORDS: a blank line counted and given as None
# (nothing to import), cells stripped, empty cells None; each row numbered as Excel or
# WPS shows it (the header is row 1; the cell that spans two lines is still one row).
EXPECTED = [
    (
        2,
        dict(
            zip(
                HEADER,
                [
                    "北京星辰科技有限公司",
                    "13800138000",
                    "info@xingchen.cn",
                    "企业",
                    "展会",
                    "张伟",
                    "13900139000",
                    "重点客户、VIP，SaaS",
                ],
                strict=True,
            )
        ),
    ),
    (
        3,
        dict(
            zip(
                HEADER,
                [
                    "上海浦江贸易\n（华东分部）",
                    "021-55550100",
                    None,
                    "公司",
                    "官网",
                    "李娜",
                    None,
                    None,
                ],
                strict=True,
            )
        ),
    ),
    (4, None),
    (
        5,
        dict(
            zip(
                HEADER,
                [
                    "王小明",
                    "+86 137 0000 1111",
                    "wxm@example.com",
                    "个人",
                    "转介绍, 老客户",
                    None,
                    None,
                    "老客户",
                ],
                strict=True,
            )
        ),
    ),
]


def csv_text(delimiter: str = ",") -> str:
    out = io.StringIO()
    # Excel writes CRLF line ends and quotes only where needed.
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(RECORDS)
    return out.getvalue()


def csv_bytes(encoding: str, delimiter: str = ",") -> bytes:
    return csv_text(delimiter).encode(encoding)
