"""Helpers for GraphQL types whose root values are Tortoise model instances."""

from __future__ import annotations

from typing import Any

from tortoise.models import Model


def model_is_type_of(model: type[Model]) -> Any:
    """An `is_type_of` for a GraphQL type backed by `model`, so interfaces resolve it."""

    def is_type_of(cls: type, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model | cls)

    return classmethod(is_type_of)
