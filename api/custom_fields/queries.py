"""Reading custom field definitions: every user may, so that clients can render forms."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.list_bounds import at_most
from api.custom_fields.types import CustomFieldDefinition, CustomFieldEntity
from domain import custom_fields
from domain.custom_fields import MAX_DEFINITIONS, MAX_FIELDS_PER_ENTITY
from models import CustomFieldDefinition as CustomFieldDefinitionModel


@strawberry.type
class CustomFieldQueries:
    @strawberry.field(
        description="The workspace's custom fields, of one entity or of all, ordered by entity "
        f"(CUSTOMER, CONTACT, OPPORTUNITY), then position; at most {MAX_FIELDS_PER_ENTITY} "
        "per entity.",
        metadata=at_most(MAX_DEFINITIONS),
        graphql_type=list[CustomFieldDefinition],
    )
    async def custom_field_definitions(
        self, info: Info, entity: CustomFieldEntity | None = None
    ) -> list[CustomFieldDefinitionModel]:
        viewer = info.context.require_viewer()
        return await custom_fields.list_definitions(viewer, entity)
