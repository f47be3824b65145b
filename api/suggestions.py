"""With introspection off, error messages stop naming the schema too.

graphql-core appends "Did you mean …?" to errors about an unknown field, argument, type,
enum value or input field, in validation and when it coerces variables: a client that
may not introspect could otherwise read the schema out of its typos. graphql-core 3.3
can leave them out (`hide_suggestions`), but Strawberry 0.341 never asks it to; its own
`StrawberryConfig(disable_field_suggestions=True)` only trims "Cannot query field"
messages, leaving arguments, enum values, types and input fields to suggest away.
"""

from __future__ import annotations

from typing import Any, TypeVar

from graphql import ValidationContext, ValidationRule
from graphql.execution import Executor

E = TypeVar("E", bound=Executor)


class HideSuggestions(ValidationRule):
    """Asks every rule of this validation to leave its suggestions out.

    Strawberry calls graphql-core's `validate` without `hide_suggestions`; the rules read it
    from their shared context as they visit, and every rule is built before the visit starts.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        context._hide_suggestions = True


def hiding_suggestions(execution_context_class: type[E]) -> type[E]:
    """`execution_context_class`, coercing variables and arguments without suggestions."""

    # A subclass of a class given at run time: mypy takes no variable as a base class.
    class WithoutSuggestions(execution_context_class):  # type: ignore[valid-type, misc]
        @classmethod
        def build(cls, *args: Any, **kwargs: Any) -> Any:
            return super().build(*args, **{**kwargs, "hide_suggestions": True})

    WithoutSuggestions.__name__ = f"{execution_context_class.__name__}WithoutSuggestions"
    return WithoutSuggestions
