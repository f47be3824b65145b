"""The GraphQL schema: every domain's queries and mutations, with the safety limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.websockets import WebSocket
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from tortoise.models import Model

from api.accounts.mutations import AccountMutations
from api.accounts.queries import AccountQueries
from api.activities.mutations import ActivityMutations
from api.activities.queries import ActivityQueries
from api.activities.subscriptions import ActivitySubscriptions
from api.context import Info
from api.core.cost import QueryCostLimiter
from api.core.errors import ClientError
from api.core.node import Node, resolve_node
from api.core.scalars import BAD_USER_INPUT, SCALAR_OVERRIDES
from api.custom_fields.mutations import CustomFieldMutations
from api.custom_fields.queries import CustomFieldQueries
from api.customers.mutations import CustomerMutations
from api.customers.queries import CustomerQueries
from api.customers.scores import ScoreMutations
from api.imports.mutations import ImportMutations
from api.imports.queries import ImportQueries
from api.imports.subscriptions import ImportSubscriptions
from api.sales.mutations import SalesMutations
from api.sales.pipeline_mutations import PipelineMutations
from api.sales.queries import SalesQueries
from api.sales.reports import ReportQueries
from api.suggestions import HideSuggestions, hiding_suggestions
from crm.settings import Settings

log = logging.getLogger("crm.api")


@strawberry.type
class NodeQueries:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


Query = merge_types(
    "Query",
    (
        NodeQueries,
        AccountQueries,
        CustomerQueries,
        SalesQueries,
        ActivityQueries,
        ImportQueries,
        ReportQueries,
        CustomFieldQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        CustomerMutations,
        ScoreMutations,
        ActivityMutations,
        SalesMutations,
        PipelineMutations,
        CustomFieldMutations,
        ImportMutations,
    ),
)
Subscription = merge_types("Subscription", (ActivitySubscriptions, ImportSubscriptions))


def _is_client_error(error: GraphQLError) -> bool:
    """Whether the client is to fix the error: it is then shown as it is, never masked."""
    original = error.original_error
    # Parse and validation errors have no original error; ours are ClientErrors.
    if original is None or isinstance(original, ClientError):
        return True
    # Coercing the request's variables, before execution (so without a path): graphql-core
    # wraps the GraphQLError of the scalar or enum that refused the value in its own.
    return error.path is None and isinstance(original, GraphQLError)


def _with_code(error: GraphQLError) -> GraphQLError:
    """A client error wrapping a refused variable takes its code (else BAD_USER_INPUT)."""
    original = error.original_error
    if isinstance(original, GraphQLError) and "code" not in (error.extensions or {}):
        code = (original.extensions or {}).get("code", BAD_USER_INPUT)
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors reach the client as "Unexpected error" with a request id to quote."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [
            _with_code(error) if _is_client_error(error) else self.anonymise_error(error)
            for error in errors
        ]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or []),
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL", "requestId": request_id}
        masked.message = "Unexpected error."
        return masked


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry logs every error at ERROR with its traceback; a client's are routine."""
        for error in errors:
            if _is_client_error(error):
                log.info("client error: %s", error.message)
            else:
                super().process_errors([error], execution_context)


class FreshLoadersPerOperation(SchemaExtension):
    """A WebSocket context lives as long as its socket; loaders must not outlive an operation."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(getattr(context, "request", None), WebSocket):
            context.set_viewer(context.viewer)
        yield


def _is_awaitable(value: object) -> bool:
    # A Tortoise model defines __await__ (`await customer` returns it), so graphql-core took
    # every field returning one (each `node`, `author`, `stage`) for async work: a
    # coroutine to schedule and resume per object. Here it is a plain value.
    # (Strawberry's check first: it answers most values, strings and numbers, at once.)
    return optimized_is_awaitable(value) and not isinstance(value, Model)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's, telling graphql-core what is awaitable (Strawberry passes its own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable  # type: ignore[assignment]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    extensions: list = [FreshLoadersPerOperation, MaskUnexpectedErrors]
    execution_context_class: type[ExecutionContext] = ExecutionContext
    if settings is not None:
        depth, tokens, aliases, cost, page = (
            settings.max_query_depth,
            settings.max_query_tokens,
            settings.max_query_aliases,
            settings.max_query_cost,
            settings.max_page_size,
        )
        # Factories, not instances: Strawberry builds fresh extensions per operation.
        extensions += [
            lambda: QueryDepthLimiter(max_depth=depth),
            lambda: MaxTokensLimiter(max_token_count=tokens),
            lambda: MaxAliasesLimiter(max_alias_count=aliases),
            lambda: QueryCostLimiter(budget=cost, max_page_size=page),
        ]
        if not settings.introspection:
            # Nor "Did you mean …?" in errors: typos would spell out the schema.
            extensions.append(
                lambda: AddValidationRules([NoSchemaIntrospectionCustomRule, HideSuggestions])
            )
            execution_context_class = hiding_suggestions(ExecutionContext)
    return _Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=execution_context_class,
        scalar_overrides=SCALAR_OVERRIDES,
    )
