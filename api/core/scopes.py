"""What an API key may do, checked once per operation: READ for a query or a subscription.

Mutations are checked where they run (`api.core.mutations.perform`: WRITE, or IMPORTS for
the import mutations), uploads and error-report downloads at the HTTP edge. A check of the
operation, before any resolver runs, rather than one per resolver: a resolver added
tomorrow is covered without knowing it, and a key without READ learns nothing, not even
which fields would have been refused. A signed-in person holds every scope.
"""

from __future__ import annotations

from graphql import GraphQLError, OperationDefinitionNode, OperationType, ValidationContext

from api.core.operation_checks import OperationCheck
from domain.viewer import missing_scope
from models.enums import ApiKeyScope

FORBIDDEN = "FORBIDDEN"
_NEEDS = {OperationType.QUERY: ApiKeyScope.READ, OperationType.SUBSCRIPTION: ApiKeyScope.READ}


class ScopeCheck(OperationCheck):
    """Refuses (FORBIDDEN, naming the scope) a query or subscription from a key without READ."""

    def check_operation(
        self, context: ValidationContext, operation: OperationDefinitionNode
    ) -> None:
        viewer = getattr(self.execution_context.context, "viewer", None)
        needed = _NEEDS.get(operation.operation)
        if viewer is not None and needed is not None and needed not in viewer.scopes:
            context.report_error(
                GraphQLError(
                    missing_scope(needed),
                    operation,
                    extensions={"code": FORBIDDEN, "scope": needed.value},
                )
            )
