"""A user's e-mail is unique within a workspace (2 of 2, after 0012 dropped the global UNIQUE);
sign-in looks an e-mail up across workspaces through its own index."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


class Migration(migrations.Migration):
    dependencies = [("models", "0012_user_email_per_workspace")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["email"]),
        ),
        ops.AddConstraint(
            model_name="User",
            constraint=UniqueConstraint(fields=("workspace", "email"), name=None),
        ),
    ]
