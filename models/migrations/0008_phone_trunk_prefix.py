"""Stored phones normalized again with today's rule (`domain.validation.normalize_phone`).

A Chinese landline written in international form ("+86 21 6888 1234") was normalized to
2168881234 and the same number as dialled in China ("021-6888-1234") to 02168881234, so
matching (imports, duplicates) missed it. It now keeps its trunk 0 in both forms. Only
`phone_normalized` changes, and only where the rule gives another value; the phones as
typed are untouched. Rows are read a page at a time, by id, so memory stays flat.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from domain.validation import normalize_phone

TABLES = ("customer", "contact")
PAGE = 5000


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
