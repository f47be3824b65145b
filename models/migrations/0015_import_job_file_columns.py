"""An import job keeps its file's columns in their order, stored by the worker as it first
reads them, so that the error report never reads the file in the API. Jobs run before this
migration have none: their report lists the columns their failed rows hold."""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0014_user_last_signed_in_at")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ImportJob",
            name="file_columns",
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
