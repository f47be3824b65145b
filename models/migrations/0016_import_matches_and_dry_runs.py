"""An import job counts the rows that matched a record per match field (`matched_by`) and
may be a dry run (`dry_run`); a row error keeps its code (CONFLICT for a row whose keys
disagree). Errors recorded before have no code."""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0015_import_job_file_columns")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ImportJob",
            name="dry_run",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="ImportJob",
            name="matched_by",
            field=fields.JSONField(
                default=dict, db_default="{}", encoder=JSON_DUMPS, decoder=loads
            ),
        ),
        ops.AddField(
            model_name="ImportRowError",
            name="code",
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
