"""A user's last successful sign-in (`last_signed_in_at`): a sign-in that names no workspace
checks the accounts of its e-mail most recently signed into first, so that accounts planted
on someone's e-mail and never used cannot push the account its owner uses out of the five
checked (domain/accounts.py).

Accounts made before this migration have never had a sign-in recorded; each counts as
signed into when it was made, so that accounts planted after it, never signed into, rank
below every one of them.

A nullable column: SQLite adds it with ALTER TABLE (no table rebuild).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0013_user_email_workspace_unique")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="last_signed_in_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunSQL(
            "UPDATE app_user SET last_signed_in_at = created_at",
            reverse_sql="UPDATE app_user SET last_signed_in_at = NULL",
        ),
    ]
