from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_activity_opportunity_external_ids')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ImportJob',
            name='api_key',
            field=fields.ForeignKeyField('models.ApiKey', source_field='api_key_id', null=True, db_constraint=True, to_field='id', related_name='import_jobs', on_delete=OnDelete.SET_NULL),
        ),
    ]
