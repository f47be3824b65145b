"""Defining, changing and deleting custom fields (ADMIN only)."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import DeletePayload, perform, returning
from api.custom_fields.inputs import CustomFieldInput, CustomFieldPatch
from api.custom_fields.types import CustomFieldPayload
from domain import custom_fields


def _definition_id(id: strawberry.ID) -> int:
    return decode_id(id, "CustomFieldDefinition", "id", "Custom field")


@strawberry.type
class CustomFieldMutations:
    @strawberry.mutation(description="Adds a custom field to an entity (ADMIN).")
    async def define_custom_field(self, info: Info, input: CustomFieldInput) -> CustomFieldPayload:
        return await perform(
            info,
            CustomFieldPayload,
            lambda viewer: custom_fields.define_custom_field(viewer, input.to_data()),
        )

    @strawberry.mutation(
        description="Changes a custom field's label, options, required flag or position (ADMIN). "
        "Values already stored are left as they are."
    )
    async def update_custom_field(
        self, info: Info, id: strawberry.ID, input: CustomFieldPatch
    ) -> CustomFieldPayload:
        return await perform(
            info,
            CustomFieldPayload,
            lambda viewer: custom_fields.update_custom_field(
                viewer, _definition_id(id), input.to_changes()
            ),
        )

    @strawberry.mutation(
        description="Deletes a custom field (ADMIN). Values stored under its key stay; a later "
        "write may clear them but not set them."
    )
    async def delete_custom_field(self, info: Info, id: strawberry.ID) -> DeletePayload:
        return await perform(
            info,
            DeletePayload,
            lambda viewer: returning(
                id, custom_fields.delete_custom_field(viewer, _definition_id(id))
            ),
        )
