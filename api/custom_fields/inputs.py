"""Custom field inputs, and their conversion to domain data."""

from __future__ import annotations

from typing import Any

import strawberry

from api.core.inputs import changes_of
from api.custom_fields.types import CustomFieldEntity, CustomFieldType
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
        return changes_of(self, enums={"type": CustomFieldTypeEnum})
