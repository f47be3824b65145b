"""Customer transfers (`transferCustomers`): the job row a large transfer runs from, with its
progress."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import TransferStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0019_teams_pools_history')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerTransfer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='customer_transfers', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField(null=True)),
                ('api_key_id', fields.BigIntField(null=True)),
                ('to_user', fields.ForeignKeyField('models.User', source_field='to_user_id', db_constraint=True, to_field='id', related_name='transfers_received', on_delete=OnDelete.CASCADE)),
                ('with_open_deals', fields.BooleanField(default=True)),
                ('with_pending_reminders', fields.BooleanField(default=True)),
                ('customer_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=TransferStatus.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nCOMPLETED: COMPLETED\nFAILED: FAILED', enum_type=TransferStatus, max_length=16)),
                ('total', fields.IntField(default=0)),
                ('done', fields.IntField(default=0)),
                ('transferred', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'customer_transfer', 'app': 'models', 'indexes': [Index(fields=['workspace_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A `transferCustomers` request: the customers it moves (fixed when it is made), to whom,'},
            bases=['Model'],
        ),
    ]
