"""A schema extension that checks the operation about to run, at validation.

A validation rule rather than an execution hook: it runs on every path (HTTP, and
WebSocket subscriptions through `Schema.stream`) and its error returns before execution
starts. The extension is built per operation, so its rule sees this request's variables.
The query cost and the input weight are checked this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import SKIP, OperationDefinitionNode, ValidationContext, ValidationRule
from strawberry.extensions import SchemaExtension


class OperationCheck(SchemaExtension):
    """Calls `check_operation` for the operation of the document that will run."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rule: Callable[[ValidationContext], ValidationRule] = self._rule
        # graphql-core's validate() calls each rule with its context: a bound method will do
        # (it carries this operation's extension), where Strawberry's annotation asks a class.
        context.validation_rules = (*context.validation_rules, rule)  # type: ignore[arg-type]
        yield

    def _rule(self, context: ValidationContext) -> ValidationRule:
        return _OperationRule(context, self)

    def check(self, context: ValidationContext, operation: OperationDefinitionNode) -> None:
        wanted = self.execution_context.operation_name
        if wanted is not None and (operation.name is None or operation.name.value != wanted):
            return  # another operation of the document, which will not run
        self.check_operation(context, operation)

    def check_operation(
        self, context: ValidationContext, operation: OperationDefinitionNode
    ) -> None:
        """Reports on `context` what is wrong with `operation`."""
        raise NotImplementedError


class _OperationRule(ValidationRule):
    def __init__(self, context: ValidationContext, extension: OperationCheck) -> None:
        super().__init__(context)
        self.extension = extension

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
        self.extension.check(self.context, node)
        return SKIP  # the check has walked what it needs of the operation
