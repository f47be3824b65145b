"""Defining, changing and deleting custom fields (ADMIN only)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.context import Info
from api.core.ids import decode_id
from api.core.mutations import respond
from api.custom_fields.types import CustomFieldEntity, CustomFieldPayload, CustomFieldType
from api.customers.inputs import set_fields
from api.customers.mutations import DeletePayload
from domain import custom_fields
from domain.custom_fields import CustomFieldData
from models.enums import CustomFieldEntity as CustomFieldEntityEnum
from models.enums import CustomFieldType as CustomFieldTypeEnum


@strawberry.input
class CustomFieldInput:
    entity: CustomFieldEntity
    key: str = strawberry.field(
        description="Lower-case letters, digits and underscores, starting with a letter; at most "
        "50 characters. Unique among the entity's fields."
    )
    label: str
    type: CustomFieldType
    options: list[str] | None = strawberry.field(
        default=None,
        description="The choices of a SELECT or MULTI_SELECT field (at least one), in display "
        "order.",
    )
    required: bool = False
    position: int | None = strawberry.field(
        default=None, description="Defaults to after the entity's last field."
    )

    def to_data(self) -> CustomFieldData:
        return CustomFieldData(
            entity=CustomFieldEntityEnum(self.entity.value),
            key=self.key,
            label=self.label,
            type=CustomFieldTypeEnum(self.type.value),
            options=self.options,
            required=self.required,
            position=self.position,
        )


@strawberry.input
class CustomFieldPatch:
    label: str | None = strawberry.UNSET
    options: list[str] | None = strawberry.UNSET
    required: bool | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    type: CustomFieldType | None = strawberry.field(
        default=strawberry.UNSET,
        description="Only the field's current type is accepted (CONFLICT otherwise): to change "
        "it, delete the field and define it again.",
    )

    def to_changes(self) -> dict[str, Any]:
        changes = set_fields(self)
        if changes.get("type") is not None:
            changes["type"] = CustomFieldTypeEnum(changes["type"].value)
        return changes


@strawberry.type
class CustomFieldMutations:
    @strawberry.mutation(description="Adds a custom field to an entity (ADMIN).")
    async def define_custom_field(self, info: Info, input: CustomFieldInput) -> CustomFieldPayload:
        viewer = info.context.require_viewer()
        return await respond(
            CustomFieldPayload,
            "custom_field",
            lambda: custom_fields.define_custom_field(viewer, input.to_data()),
        )

    @strawberry.mutation(
        description="Changes a custom field's label, options, required flag or position (ADMIN). "
        "Values already stored are left as they are."
    )
    async def update_custom_field(
        self, info: Info, id: strawberry.ID, input: CustomFieldPatch
    ) -> CustomFieldPayload:
        viewer = info.context.require_viewer()
        return await respond(
            CustomFieldPayload,
            "custom_field",
            lambda: custom_fields.update_custom_field(
                viewer,
                decode_id(id, "CustomFieldDefinition", "id", "Custom field"),
                input.to_changes(),
            ),
        )

    @strawberry.mutation(
        description="Deletes a custom field (ADMIN). Values stored under its key stay; a later "
        "write may clear them but not set them."
    )
    async def delete_custom_field(self, info: Info, id: strawberry.ID) -> DeletePayload:
        viewer = info.context.require_viewer()

        async def delete() -> strawberry.ID:
            await custom_fields.delete_custom_field(
                viewer, decode_id(id, "CustomFieldDefinition", "id", "Custom field")
            )
            return id

        return await respond(DeletePayload, "deleted_id", delete)
