"""An import job keeps what its file's rows did to each record so far (`import_file_key`),
for its later chunks: rows of one file never overwrite each other across chunks, and a dry
run's later chunks see what its earlier ones would have created. Deleted as jobs finish."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_import_job_column_fields')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportFileKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='file_keys', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=40)),
                ('record_id', fields.BigIntField(null=True)),
                ('row', fields.IntField(null=True)),
                ('state', fields.TextField(unique=False)),
            ],
            options={'table': 'import_file_key', 'app': 'models', 'indexes': [Index(fields=['job_id', 'key'])], 'pk_attr': 'id', 'table_description': "What the rows of an import's file did to one record so far, as of one chunk: read by"},
            bases=['Model'],
        ),
    ]
