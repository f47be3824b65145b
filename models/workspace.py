"""The tenancy aggregate: a workspace, its users and its integrators' API keys."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import Role


class Workspace(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64, default="UTC")
    default_currency = fields.CharField(max_length=3, default="CNY")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workspace"


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
        indexes = (Index(fields=("email",)),)


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
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_key"
