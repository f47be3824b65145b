"""Updates that write exactly the values given, NULL included, for many rows at once.

`bulk_sql.update_rows` keeps a stored value where the new one is NULL (a blank cell is
not a change) and stamps `updated_at`. Some columns an import must be able to clear (a
deal moved back to an open stage loses its close date), and some tables have no
`updated_at` (activities): those rows are written with Tortoise's `bulk_update`, one
CASE statement per batch.
"""

from __future__ import annotations

from typing import Any

from tortoise.models import Model

# A row costs three parameters per column (its id twice, the value once); both
# databases take at most 32767 parameters per statement.
_PARAMETERS = 30_000


async def set_columns(
    model: type[Model], rows: dict[int, dict[str, Any]], columns: list[str]
) -> None:
    """Sets `columns` of each row (id → every column's value) to exactly the values given."""
    if not rows or not columns:
        return
    objects = [
        model(id=pk, **{column: values[column] for column in columns})
        for pk, values in rows.items()
    ]
    batch = max(1, _PARAMETERS // (3 * len(columns)))
    await model.bulk_update(objects, fields=columns, batch_size=batch)
