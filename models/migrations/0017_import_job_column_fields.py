"""An import job keeps which field each column of its file fills (`ImportJob.columns`).

Row numbers become the line a user sees in Excel or WPS, the header being line 1 (they
counted data rows from 1, the header excluded): the row errors of CSV and XLSX jobs, and
the checkpoint of those not finished, move one down, as for a header on the first line
(a file with blank lines above its header was off by those already). JSON Lines jobs
kept line numbers and are left alone.
"""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

_HEADER_ED = "format IN ('CSV', 'XLSX')"


def _moved(by: int, above: int) -> str:
    """Moves the row errors of CSV and XLSX jobs, and the unfinished ones' checkpoints
    past a committed chunk, `by` rows."""
    return (
        f"UPDATE import_row_error SET row = row + {by} WHERE job_id IN "
        f"(SELECT id FROM import_job WHERE {_HEADER_ED}); "
        f"UPDATE import_job SET next_row = next_row + {by} "
        f"WHERE {_HEADER_ED} AND next_row > {above} AND status IN ('QUEUED', 'RUNNING')"
    )


async def count_the_header_line(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(_moved(1, above=1))


async def count_data_rows_again(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(_moved(-1, above=2))


class Migration(migrations.Migration):
    dependencies = [("models", "0016_import_matches_and_dry_runs")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ImportJob",
            name="column_fields",
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(count_the_header_line, count_data_rows_again),
    ]
