"""The Relay `Node` interface and `node(id:)` resolution, scoped to the viewer's workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from tortoise.models import Model

from api.core.ids import from_global_id, to_global_id
from domain.imports.summaries import find_job
from models import CustomFieldDefinition, Workspace

if TYPE_CHECKING:
    from api.context import Info


@strawberry.interface(description="An object with an opaque global id.")
class Node:
    @strawberry.field(
        description="Opaque global id: the same string works in node(id:) and in every id argument."
    )
    @staticmethod
    def id(parent: strawberry.Parent[Model]) -> strawberry.ID:
        # Every node is resolved from a model instance whose class bears the type's name.
        return strawberry.ID(to_global_id(type(parent).__name__, parent.pk))


# GraphQL type name -> name of the by-id loader on `Loaders` that fetches it.
NODE_LOADERS: dict[str, str] = {
    "User": "user_by_id",
    "Customer": "customer_by_id",
    "Contact": "contact_by_id",
    "Activity": "activity_by_id",
    "Reminder": "reminder_by_id",
    "Opportunity": "opportunity_by_id",
    "Pipeline": "pipeline_by_id",
    "Stage": "stage_by_id",
    "Product": "product_by_id",
}


async def resolve_node(info: Info, global_id: str, of_type: str | None = None) -> Any | None:
    """Any node (or, with `of_type`, one of that type) of the viewer's workspace by global
    id; anything else is simply null."""
    viewer = info.context.require_viewer()
    try:
        type_name, pk = from_global_id(global_id)
    except ValueError:
        return None
    if of_type is not None and type_name != of_type:
        return None
    if type_name == "Workspace":
        return await Workspace.get_or_none(id=pk) if pk == viewer.workspace_id else None
    if type_name == "ImportJob":
        return await find_job(viewer, pk)  # without its file, which may be 50 MB
    if type_name == "CustomFieldDefinition":
        return await CustomFieldDefinition.get_or_none(id=pk, workspace_id=viewer.workspace_id)
    loader_name = NODE_LOADERS.get(type_name)
    if loader_name is None:
        return None
    node = await getattr(info.context.loaders, loader_name).load(pk)
    if (
        type_name == "Reminder"
        and node is not None
        and not viewer.may_see_reminders_of(node.user_id)
    ):
        return None
    return node
