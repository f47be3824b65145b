"""Custom field definitions: what admins add to customers, contacts and opportunities."""

from __future__ import annotations

import strawberry

from api.core.errors import UserError, errors_field
from api.core.node import Node, node_by_loader
from api.core.types import model_is_type_of
from models import CustomFieldDefinition as CustomFieldDefinitionModel
from models.enums import CustomFieldEntity as CustomFieldEntityEnum
from models.enums import CustomFieldType as CustomFieldTypeEnum

# The domain's enums are the GraphQL enums: `strawberry.enum` registers the GraphQL
# name on the class itself, and the alias keeps it a type for the type checker.
CustomFieldEntity = CustomFieldEntityEnum
strawberry.enum(
    CustomFieldEntity,
    name="CustomFieldEntity",
    description="The kind of record a custom field belongs to.",
)
CustomFieldType = CustomFieldTypeEnum
strawberry.enum(
    CustomFieldType,
    name="CustomFieldType",
    description="What a custom field holds: TEXT a string, NUMBER a number, DATE a "
    '"YYYY-MM-DD" string, BOOLEAN true or false, SELECT one of the options, '
    "MULTI_SELECT a list of distinct options.",
)


@strawberry.type(
    description="A field the workspace's admins added to customers, contacts or opportunities. "
    "Its values live in the records' customFields, under its key."
)
class CustomFieldDefinition(Node):
    entity: CustomFieldEntity
    key: str = strawberry.field(
        description="The key of the values in customFields; it never changes."
    )
    label: str
    type: CustomFieldType = strawberry.field(
        description="Never changes: to change it, delete the field and define it again."
    )
    options: list[str] = strawberry.field(
        description="The choices of a SELECT or MULTI_SELECT field, in display order; "
        "empty for the other types."
    )
    required: bool = strawberry.field(
        description="A new record must have a value, and a change may not remove it."
    )
    position: int = strawberry.field(description="Where forms show the field among its entity's.")
    is_type_of = model_is_type_of(CustomFieldDefinitionModel)
    load_node = node_by_loader(lambda loaders: loaders.custom_field_by_id)


@strawberry.type
class CustomFieldPayload:
    custom_field: CustomFieldDefinition | None
    errors: list[UserError] = errors_field()
