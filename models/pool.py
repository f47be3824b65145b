"""The customer pool (公海): where customers nobody follows up go, for another rep to claim."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.enums import TransferStatus

if TYPE_CHECKING:
    from models.workspace import Team, User, Workspace


class CustomerPool(Model):
    """A pool and its rules. One per workspace is the default (`team` NULL, `is_default`),
    and a team may have its own, seen by that team and the teams above it."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="pools", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    team: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team", related_name="pools", null=True, on_delete=fields.CASCADE
    )
    team_id: int | None
    is_default = fields.BooleanField(default=False)
    # Return rules: each NULL when off. A customer returns when any rule that is on holds.
    no_activity_days = fields.IntField(null=True)
    no_open_deal_days = fields.IntField(null=True)
    no_won_deal_days = fields.IntField(null=True)
    # Which customers the rules apply to: kinds (empty: all) and a score band (NULL: open).
    kinds: fields.JSONField[list[str]] = fields.JSONField(default=list)
    score_min = fields.FloatField(null=True)
    score_max = fields.FloatField(null=True)
    # Exempt: a customer with an open deal in a late stage, one whose stage's win
    # probability is at least this (pipelines differ in stages, not in what late means).
    exempt_deal_probability = fields.IntField(null=True)
    warn_days_before = fields.IntField(default=3)
    max_locks_per_rep = fields.IntField(default=5)
    # Claim limits: customers a rep may hold (NULL: no limit), claims a day, and the days
    # before a customer's previous owner may claim it back.
    max_customers_per_rep = fields.IntField(null=True)
    max_claims_per_day = fields.IntField(null=True)
    claim_cooldown_days = fields.IntField(default=7)
    # Reps see a pooled customer's phone and e-mail (and its contacts') only once claimed.
    mask_contacts = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer_pool"
        unique_together = (("workspace", "name"),)


class PoolRun(Model):
    """The nightly pool job's run for one workspace and day: exactly once, and the next
    night catches up from the last day done."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="pool_runs", on_delete=fields.CASCADE
    )
    workspace_id: int
    day = fields.DateField()
    warned = fields.IntField(default=0)
    returned = fields.IntField(default=0)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pool_run"
        unique_together = (("workspace", "day"),)


class CustomerTransfer(Model):
    """A `transferCustomers` request: the customers it moves (fixed when it is made), to whom,
    and how far it got. A small one is done before the mutation answers; a large one by a
    worker, a batch a transaction, `done` its checkpoint and its progress."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="customer_transfers", on_delete=fields.CASCADE
    )
    workspace_id: int
    # Who asked (history names them on every row the transfer writes).
    user_id = fields.BigIntField(null=True)
    api_key_id = fields.BigIntField(null=True)
    to_user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="transfers_received", on_delete=fields.CASCADE
    )
    to_user_id: int
    with_open_deals = fields.BooleanField(default=True)
    with_pending_reminders = fields.BooleanField(default=True)
    customer_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)
    status = fields.CharEnumField(TransferStatus, max_length=16, default=TransferStatus.QUEUED)
    total = fields.IntField(default=0)
    # Customers handled so far, in `customer_ids` order: the checkpoint a rerun resumes at.
    done = fields.IntField(default=0)
    transferred = fields.IntField(default=0)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "customer_transfer"
        indexes = (Index(fields=("workspace_id", "status")),)
