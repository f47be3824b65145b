"""Sales teams: teams (a tree) and users in them, customers shared and pooled (公海) with
their pools' rules and nightly runs, history rows and tombstones, reminder kinds, sessions
that can end, and API keys with scopes acting as a user.

Keys made before this one keep what they could do (every scope) and act as whoever made
them, unless they are ADMIN keys, which act as the workspace; owned customers are held since
they were created, for the pool rules' idle days."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import ChangeSource, ChangedEntity, DeletePolicy, ReminderKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


async def keep_what_was(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        """UPDATE "api_key" SET "scopes" = '["READ", "WRITE", "IMPORTS"]';
        UPDATE "api_key" SET "acts_as_id" = "created_by_id" WHERE "role" <> 'ADMIN';
        UPDATE "customer" SET "owned_since" = "created_at" WHERE "owner_id" IS NOT NULL;"""
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0018_import_file_keys")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CustomerShare",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="customer_shares",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "models.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="shares",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="shared_customers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "customer_share",
                "app": "models",
                "unique_together": (("customer", "user"),),
                "indexes": [Index(fields=["user_id", "customer_id"])],
                "pk_attr": "id",
                "table_description": "A customer shared with a colleague, who then sees it (and what hangs from it) too.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="FieldChange",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="field_changes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "entity",
                    fields.CharEnumField(
                        description="CUSTOMER: CUSTOMER\nCONTACT: CONTACT\nOPPORTUNITY: OPPORTUNITY\nACTIVITY: ACTIVITY",
                        enum_type=ChangedEntity,
                        max_length=16,
                    ),
                ),
                ("entity_id", fields.BigIntField()),
                ("customer_id", fields.BigIntField(null=True)),
                ("field", fields.CharField(max_length=100)),
                ("old_value", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("new_value", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "source",
                    fields.CharEnumField(
                        description="API: API\nIMPORT: IMPORT\nPOOL: POOL\nTRANSFER: TRANSFER\nMERGE: MERGE",
                        enum_type=ChangeSource,
                        max_length=16,
                    ),
                ),
                ("source_id", fields.BigIntField(null=True)),
                ("user_id", fields.BigIntField(null=True)),
                ("api_key_id", fields.BigIntField(null=True)),
                ("changed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "field_change",
                "app": "models",
                "indexes": [
                    Index(fields=["entity", "entity_id", "id"]),
                    Index(fields=["workspace_id", "customer_id", "changed_at", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "One field of one record changed: old and new value as JSON, who, when, through what.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PoolRun",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pool_runs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("day", fields.DateField()),
                ("warned", fields.IntField(default=0)),
                ("returned", fields.IntField(default=0)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "pool_run",
                "app": "models",
                "unique_together": (("workspace", "day"),),
                "pk_attr": "id",
                "table_description": "The nightly pool job's run for one workspace and day: exactly once, and the next",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Team",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="teams",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=200)),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "models.Team",
                        source_field="parent_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="children",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("path", fields.CharField(default="/", max_length=1000)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "team",
                "app": "models",
                "unique_together": (("workspace", "parent", "name"),),
                "indexes": [Index(fields=["workspace_id", "path"])],
                "pk_attr": "id",
                "table_description": "A department. Teams form a tree, and a MANAGER manages their team and every team below it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CustomerPool",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pools",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=200)),
                (
                    "team",
                    fields.ForeignKeyField(
                        "models.Team",
                        source_field="team_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="pools",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("is_default", fields.BooleanField(default=False)),
                ("no_activity_days", fields.IntField(null=True)),
                ("no_open_deal_days", fields.IntField(null=True)),
                ("no_won_deal_days", fields.IntField(null=True)),
                ("kinds", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("score_min", fields.FloatField(null=True)),
                ("score_max", fields.FloatField(null=True)),
                ("exempt_deal_probability", fields.IntField(null=True)),
                ("warn_days_before", fields.IntField(default=3)),
                ("max_locks_per_rep", fields.IntField(default=5)),
                ("max_customers_per_rep", fields.IntField(null=True)),
                ("max_claims_per_day", fields.IntField(null=True)),
                ("claim_cooldown_days", fields.IntField(default=7)),
                ("mask_contacts", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "customer_pool",
                "app": "models",
                "unique_together": (("workspace", "name"),),
                "pk_attr": "id",
                "table_description": "A pool and its rules. One per workspace is the default (`team` NULL, `is_default`),",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tombstone",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tombstones",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "entity",
                    fields.CharEnumField(
                        description="CUSTOMER: CUSTOMER\nCONTACT: CONTACT\nOPPORTUNITY: OPPORTUNITY\nACTIVITY: ACTIVITY",
                        enum_type=ChangedEntity,
                        max_length=16,
                    ),
                ),
                ("entity_id", fields.BigIntField()),
                ("customer_id", fields.BigIntField(null=True)),
                (
                    "source",
                    fields.CharEnumField(
                        description="API: API\nIMPORT: IMPORT\nPOOL: POOL\nTRANSFER: TRANSFER\nMERGE: MERGE",
                        enum_type=ChangeSource,
                        max_length=16,
                    ),
                ),
                ("user_id", fields.BigIntField(null=True)),
                ("api_key_id", fields.BigIntField(null=True)),
                ("deleted_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "tombstone",
                "app": "models",
                "indexes": [Index(fields=["workspace_id", "deleted_at", "id"])],
                "pk_attr": "id",
                "table_description": "A deleted record: what it was, and who deleted it when (the change feed reads these).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UserSession",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "last_used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "user_session",
                "app": "models",
                "indexes": [Index(fields=["user_id", "ended_at"])],
                "pk_attr": "id",
                "table_description": "A signed-in session. The bearer token is signed and names this row, so one session",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="ApiKey",
            name="acts_as",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="acts_as_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="acting_api_keys",
                on_delete=OnDelete.CASCADE,
            ),
        ),
        ops.AddField(
            model_name="ApiKey",
            name="scopes",
            field=fields.JSONField(
                default=list, db_default="[]", encoder=JSON_DUMPS, decoder=loads
            ),
        ),
        ops.AddField(
            model_name="Customer",
            name="locked_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Customer",
            name="owned_since",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Customer",
            name="pool",
            field=fields.ForeignKeyField(
                "models.CustomerPool",
                source_field="pool_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="customers",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Customer",
            name="pool_warned_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Customer",
            name="pooled_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Customer",
            name="previous_owner",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="previous_owner_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="released_customers",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddField(
            model_name="Reminder",
            name="kind",
            field=fields.CharEnumField(
                default=ReminderKind.FOLLOW_UP,
                description="FOLLOW_UP: FOLLOW_UP\nPOOL_WARNING: POOL_WARNING",
                db_default="FOLLOW_UP",
                enum_type=ReminderKind,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="User",
            name="team",
            field=fields.ForeignKeyField(
                "models.Team",
                source_field="team_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="members",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["workspace_id", "team_id"]),
        ),
        ops.AddField(
            model_name="Workspace",
            name="delete_policy",
            field=fields.CharEnumField(
                default=DeletePolicy.MANAGER,
                description="OWNER: OWNER\nMANAGER: MANAGER\nADMIN: ADMIN",
                db_default="MANAGER",
                enum_type=DeletePolicy,
                max_length=16,
            ),
        ),
        ops.RunPython(keep_what_was, ops.RunPython.noop),
    ]
