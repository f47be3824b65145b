"""The catalogue: products that opportunities quote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.workspace import Workspace


class Product(Model):
    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="products", on_delete=fields.CASCADE
    )
    workspace_id: int
    name = fields.CharField(max_length=200)
    sku = fields.CharField(max_length=100, null=True)
    unit_price = fields.DecimalField(max_digits=16, decimal_places=2)
    currency = fields.CharField(max_length=3)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "product"
        unique_together = (("workspace", "sku"),)
        indexes = (Index(fields=("workspace_id", "name", "id")),)
