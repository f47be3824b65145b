"""The tenancy aggregate: a workspace, its teams, its users, their sessions and its
integrators' API keys."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import DeletePolicy, Role


class Workspace(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64, default="UTC")
    default_currency = fields.CharField(max_length=3, default="CNY")
    delete_policy = fields.CharEnumField(
        DeletePolicy, max_length=16, default=DeletePolicy.MANAGER, db_default="MANAGER"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workspace"


class Team(Model):
    """A department. Teams form a tree, and a MANAGER manages their team and every team below it."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="teams", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    parent: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    # The ids from the root down to this team, "/1/7/12/": "my teams" is one indexed
    # `path LIKE '/1/7/%'`, with no recursion on either database.
    path = fields.CharField(max_length=1000, default="/")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team"
        unique_together = (("workspace", "parent", "name"),)
        indexes = (Index(fields=("workspace_id", "path")),)


class User(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="users", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    # Stored lower-cased. Unique within a workspace only: one person may hold accounts in
    # several workspaces, and signing up never tells whether an e-mail is used elsewhere.
    email = fields.CharField(max_length=254)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.REP)
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    team_id: int | None
    timezone = fields.CharField(max_length=64, default="UTC")
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The last successful sign-in: a sign-in that names no workspace checks the accounts of
    # its e-mail most recently signed into first (domain/accounts.py).
    last_signed_in_at = fields.DatetimeField(null=True)

    class Meta:
        table = "app_user"
        unique_together = (("workspace", "email"),)
        # Sign-in looks an e-mail up across workspaces.
        indexes = (Index(fields=("email",)), Index(fields=("workspace_id", "team_id")))


class UserSession(Model):
    """A signed-in session. The bearer token is signed and names this row, so one session
    can end (`logout`) or all of a user's (sign out everywhere) before the token expires."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_session"
        indexes = (Index(fields=("user_id", "ended_at")),)


class ApiKey(Model):
    """An integrator's credential. Only a SHA-256 of the secret is kept."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="api_keys", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    # The public half of the token, used to find the row without scanning hashes.
    prefix = fields.CharField(max_length=16, unique=True)
    secret_hash = fields.CharField(max_length=64)
    role = fields.CharEnumField(Role, max_length=16, default=Role.REP)
    # What the key may do (ApiKeyScope values); read, write and imports unless narrowed.
    scopes: fields.JSONField[list[str]] = fields.JSONField(default=list, db_default="[]")
    # Whom the key acts as: that user's visibility, at most their role. NULL only for an
    # ADMIN key, which acts as the workspace.
    acts_as: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="acting_api_keys", null=True, on_delete=fields.CASCADE
    )
    acts_as_id: int | None
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_key"
