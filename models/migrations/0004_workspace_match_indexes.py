from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_import_jobs')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Contact',
            name='email',
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AlterField(
            model_name='Contact',
            name='phone_normalized',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['workspace_id', 'phone_normalized']),
        ),
        ops.AddIndex(
            model_name='Contact',
            index=Index(fields=['workspace_id', 'email']),
        ),
        ops.AlterField(
            model_name='Customer',
            name='email',
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AlterField(
            model_name='Customer',
            name='phone_normalized',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['workspace_id', 'phone_normalized']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['workspace_id', 'email']),
        ),
    ]
