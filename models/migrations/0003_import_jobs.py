from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_sales_process')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ImportJob',
            name='cancel_requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='failure',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='next_row',
            field=fields.IntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='payload',
            field=fields.BinaryField(null=True),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='sheet',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='ImportJob',
            name='unmapped_columns',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ImportRowError',
            name='values',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
