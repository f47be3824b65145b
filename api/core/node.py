"""The Relay `Node` interface and `node(id:)` resolution, scoped to the viewer's workspace.

Each node type says how it loads one of its own by primary key (`load_node`, beside its
fields; `node_by_loader` for the common case), always within the viewer's workspace, so
`node(id:)` finds the type the id names in the schema and asks it: a new node type brings
its loading with it, and an id of a type that is no node is simply null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types.base import StrawberryObjectDefinition
from tortoise.models import Model

from api.core.ids import from_global_id, to_global_id
from domain.viewer import Viewer

if TYPE_CHECKING:
    from api.context import Info
    from api.loaders import Loaders


@strawberry.interface(description="An object with an opaque global id.")
class Node:
    @strawberry.field(
        description="Opaque global id: the same string works in node(id:) and in every id argument."
    )
    @staticmethod
    def id(parent: strawberry.Parent[Model]) -> strawberry.ID:
        # Every node is resolved from a model instance whose class bears the type's name.
        return strawberry.ID(to_global_id(type(parent).__name__, parent.pk))

    @classmethod
    async def load_node(cls, info: Info, viewer: Viewer, pk: int) -> Any | None:
        """The node of this type with primary key `pk` in the viewer's workspace, if the
        viewer may see it; every node type defines it (tests/api/test_node_types.py checks)."""
        raise NotImplementedError(f"{cls.__name__} does not say how to load itself")


def node_by_loader(loader: Callable[[Loaders], DataLoader[int, Any]]) -> Any:
    """A `load_node` through one of the request's by-id loaders (workspace-scoped)."""

    async def load_node(cls: type, info: Info, viewer: Viewer, pk: int) -> Any | None:
        return await loader(info.context.loaders).load(pk)

    return classmethod(load_node)


def node_type(info: Info, type_name: str) -> type[Node] | None:
    """The node type of the schema called `type_name`; None for any other name."""
    definition = info.schema.get_type_by_name(type_name)
    if not isinstance(definition, StrawberryObjectDefinition) or definition.is_interface:
        return None
    origin = definition.origin
    return origin if issubclass(origin, Node) else None


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
    found = node_type(info, type_name)
    return None if found is None else await found.load_node(info, viewer, pk)
