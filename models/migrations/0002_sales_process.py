from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import CustomFieldEntity, CustomFieldType
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomFieldDefinition',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='custom_fields', on_delete=OnDelete.CASCADE)),
                ('entity', fields.CharEnumField(description='CUSTOMER: CUSTOMER\nCONTACT: CONTACT\nOPPORTUNITY: OPPORTUNITY', enum_type=CustomFieldEntity, max_length=16)),
                ('key', fields.CharField(max_length=50)),
                ('label', fields.CharField(max_length=200)),
                ('type', fields.CharEnumField(description='TEXT: TEXT\nNUMBER: NUMBER\nDATE: DATE\nBOOLEAN: BOOLEAN\nSELECT: SELECT\nMULTI_SELECT: MULTI_SELECT', enum_type=CustomFieldType, max_length=16)),
                ('options', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('required', fields.BooleanField(default=False)),
                ('position', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'custom_field_definition', 'app': 'models', 'unique_together': (('workspace', 'entity', 'key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contact',
            name='custom_fields',
            field=fields.JSONField(default=dict, db_default='{}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Opportunity',
            name='last_activity_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Stage',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
