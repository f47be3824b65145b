"""Stored phones normalized again with the rule of `domain.validation.normalize_phone` as it
was when this migration was written (frozen below).

A Chinese landline written in international form ("+86 21 6888 1234") was normalized to
2168881234 and the same number as dialled in China ("021-6888-1234") to 02168881234, so
matching (imports, duplicates) missed it. It now keeps its trunk 0 in both forms. Only
`phone_normalized` changes, and only where the rule gives another value; the phones as
typed are untouched. Rows are read a page at a time, by id, so memory stays flat.
"""

import re
import unicodedata

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("customer", "contact")
PAGE = 5000

# A frozen copy of `domain.validation.normalize_phone` as it was when this migration was
# written, not an import of it: a migration must do forever what it did when written, and
# a database migrated later must end up as one migrated then. Never edit it to follow the
# live rule; a new rule that changes stored values gets a migration of its own.
_NOT_DIGIT = re.compile(r"[^0-9]")
_NO_TRUNK_PREFIXES = ("400", "800")


def normalize_phone(raw):
    if raw is None:
        return None
    text = raw.strip() if raw.isascii() else unicodedata.normalize("NFKC", raw).strip()
    digits = _NOT_DIGIT.sub("", text)
    if not digits:
        return None
    international = text.startswith("+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if international:
        if digits.startswith("86") and len(digits) >= 7:
            return _chinese_national(digits[2:])
        if digits.startswith("1") and len(digits) > 7:
            return digits[1:]
        return digits
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def _chinese_national(number):
    if number.startswith("0") or (len(number) == 11 and number.startswith("1")):
        return number
    if number.startswith(_NO_TRUNK_PREFIXES) or not 9 <= len(number) <= 11:
        return number
    return f"0{number}"



async def renormalize_phones(apps, schema_editor) -> None:
    client = schema_editor.client
    first, second = ("$1", "$2") if client.capabilities.dialect == "postgres" else ("?", "?")
    for table in TABLES:
        after = 0
        while True:
            _, rows = await client.execute_query(
                f'SELECT "id", "phone", "phone_normalized" FROM "{table}" '
                f'WHERE "phone" IS NOT NULL AND "id" > {first} ORDER BY "id" LIMIT {PAGE}',
                [after],
            )
            changed = [
                [normalized, pk]
                for pk, phone, stored in rows
                if (normalized := normalize_phone(phone)) != stored
            ]
            if changed:
                await client.execute_many(
                    f'UPDATE "{table}" SET "phone_normalized" = {first} WHERE "id" = {second}',
                    changed,
                )
            if len(rows) < PAGE:
                break
            after = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("models", "0007_import_job_failed_attempts")]

    initial = False

    operations = [
        # Not reversed: the earlier values were the mismatch this corrects.
        ops.RunPython(renormalize_phones, ops.RunPython.noop),
    ]
