from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0004_workspace_match_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Activity',
            name='external_id',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddConstraint(
            model_name='Activity',
            constraint=UniqueConstraint(fields=('workspace', 'external_id'), name=None),
        ),
        ops.AddField(
            model_name='Opportunity',
            name='external_id',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddConstraint(
            model_name='Opportunity',
            constraint=UniqueConstraint(fields=('workspace', 'external_id'), name=None),
        ),
    ]
