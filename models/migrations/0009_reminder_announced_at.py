from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


async def mark_past_sendings_announced(apps, schema_editor) -> None:
    # Reminders sent before the outbox existed were announced then (or never will be):
    # none of them is owed an announcement now.
    await schema_editor.client.execute_script(
        "UPDATE reminder SET announced_at = sent_at WHERE status = 'SENT'"
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0008_phone_trunk_prefix')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Reminder',
            name='announced_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Reminder',
            index=Index(fields=['status', 'announced_at', 'sent_at']),
        ),
        ops.RunPython(mark_past_sendings_announced, ops.RunPython.noop),
    ]
