from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_import_job_api_key')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ImportJob',
            name='failed_attempts',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
