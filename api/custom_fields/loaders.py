"""The custom fields' loaders: definitions by id."""

from __future__ import annotations

from api.core.loaders import by_id
from models import CustomFieldDefinition


class CustomFieldLoaders:
    def __init__(self, workspace_id: int) -> None:
        self.custom_field_by_id = by_id(CustomFieldDefinition, workspace_id)
