"""The GraphQL schema: every domain's queries and mutations, with the safety limits."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Iterable, Iterator
from contextlib import aclosing
from typing import Any, TypeGuard

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.websockets import WebSocket
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from tortoise.models import Model

from api.accounts.mutations import AccountMutations
from api.accounts.queries import AccountQueries
from api.activities.mutations import ActivityMutations
from api.activities.queries import ActivityQueries
from api.activities.subscriptions import ActivitySubscriptions
from api.context import Info
from api.core.cost import QueryCostLimiter
from api.core.errors import ClientError
from api.core.input_size import InputSizeLimiter
from api.core.nesting import SelectionNestingLimiter
from api.core.node import Node, resolve_node
from api.core.scalars import BAD_USER_INPUT, SCALAR_OVERRIDES
from api.core.scopes import ScopeCheck
from api.custom_fields.mutations import CustomFieldMutations
from api.custom_fields.queries import CustomFieldQueries
from api.customers.mutations import CustomerMutations
from api.customers.queries import CustomerQueries
from api.customers.scores import ScoreMutations
from api.imports.mutations import ImportMutations
from api.imports.queries import ImportQueries
from api.imports.subscriptions import ImportSubscriptions
from api.pools.mutations import PoolMutations
from api.pools.queries import PoolQueries
from api.sales.mutations import SalesMutations
from api.sales.pipeline_mutations import PipelineMutations
from api.sales.queries import SalesQueries
from api.sales.reports import ReportQueries
from api.suggestions import HideSuggestions, hiding_suggestions
from api.teams.mutations import TeamMutations
from api.teams.queries import TeamQueries
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
        PoolQueries,
        TeamQueries,
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
        PoolMutations,
        TeamMutations,
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


# Apollo's codes for a document that does not parse, and one that the schema refuses.
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def _with_code(error: GraphQLError) -> GraphQLError:
    """A client error without a code of its own takes the one that says which mistake."""
    if "code" not in (error.extensions or {}):
        code = _code_for(error)
        if code is not None:
            error.extensions = {**(error.extensions or {}), "code": code}
    return error


def _code_for(error: GraphQLError) -> str | None:
    original = error.original_error
    if isinstance(original, GraphQLError):
        # A refused variable: graphql-core wraps the scalar's or the enum's refusal.
        return (original.extensions or {}).get("code", BAD_USER_INPUT)
    if isinstance(error, GraphQLSyntaxError):
        return GRAPHQL_PARSE_FAILED
    if original is None and error.path is None:
        # Before execution and not about a variable: a validation rule refused the document
        # (a literal a scalar refused keeps the scalar's own code, BAD_USER_INPUT).
        return GRAPHQL_VALIDATION_FAILED
    return None


# The innermost frames of an unexpected error's traceback are logged: they say where it
# broke. A RecursionError's whole traceback is a thousand frames (200 KB) per request.
LOGGED_FRAMES = 40


def mask_unexpected_errors(
    errors: list[GraphQLError], request_id: str | None
) -> list[GraphQLError]:
    """Client errors as they are; each unexpected one as "Unexpected error." with the
    request id to quote, logged once at ERROR under that id."""
    return [
        _with_code(error) if _is_client_error(error) else _masked(error, request_id)
        for error in errors
    ]


def _masked(error: GraphQLError, request_id: str | None) -> GraphQLError:
    cause = error.original_error
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path or []) or "the operation",
        request_id,
        exc_info=_innermost_frames(cause) if cause is not None else None,
    )
    return GraphQLError(
        "Unexpected error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": "INTERNAL", "requestId": request_id},
    )


def _innermost_frames(error: BaseException) -> tuple[type[BaseException], BaseException, Any]:
    """`exc_info` whose traceback starts LOGGED_FRAMES frames from where it was raised."""
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        frames.append(traceback)
        traceback = traceback.tb_next
    return type(error), error, frames[-LOGGED_FRAMES:][0] if frames else None


def _request_id(context: object) -> str | None:
    return getattr(context, "request_id", None)


class _Schema(strawberry.Schema):
    """Every result leaves the schema masked: over HTTP (`execute`) and over WebSocket or
    any other stream (`stream`, which `subscribe` calls).

    Masking in an extension (MaskErrors) missed what Strawberry handles after the
    extensions' operation hook has ended: an exception raised while validating (the
    RecursionError of a deep document) reached the client raw. Here nothing is missed, and
    an exception that escapes a stream becomes a masked error message, not a silent end.
    """

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if result.errors:
            result.errors = mask_unexpected_errors(result.errors, _request_id(context_value))
        return result

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> Any:
        results = await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )
        return _masked_stream(results, _request_id(context_value))

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry logs every error at ERROR with its traceback; a client's are routine,
        and an unexpected one is logged once, where it is masked."""
        for error in errors:
            if _is_client_error(error):
                log.info("client error: %s", error.message)


async def _masked_stream(results: AsyncGenerator[Any, None], request_id: str | None) -> Any:
    first = True
    try:
        async with aclosing(results):
            async for result in results:
                if isinstance(result, ExecutionResult) and result.errors:
                    result.errors = mask_unexpected_errors(result.errors, request_id)
                yield result
                first = False
    except Exception as error:
        # Strawberry's stream lets an exception out of validation end the operation; the
        # WebSocket handlers then sent only `complete`, the cause unsaid.
        unexpected = GraphQLError(str(error), original_error=error)
        [masked] = mask_unexpected_errors([unexpected], request_id)
        yield (PreExecutionError if first else ExecutionResult)(data=None, errors=[masked])


class FreshLoadersPerOperation(SchemaExtension):
    """A WebSocket context lives as long as its socket; loaders must not outlive an operation."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(getattr(context, "request", None), WebSocket):
            context.set_viewer(context.viewer)
        yield


def _is_awaitable(value: object) -> TypeGuard[Awaitable[Any]]:
    # A Tortoise model defines __await__ (`await customer` returns it), so graphql-core took
    # every field returning one (each `node`, `author`, `stage`) for async work: a
    # coroutine to schedule and resume per object. Here it is a plain value.
    # (Strawberry's check first: it answers most values, strings and numbers, at once.)
    return optimized_is_awaitable(value) and not isinstance(value, Model)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's, telling graphql-core what is awaitable (Strawberry passes its own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    # The nesting first: validation, which it may skip, is what would recurse.
    extensions: list = [SelectionNestingLimiter, FreshLoadersPerOperation, ScopeCheck]
    execution_context_class: type[ExecutionContext] = ExecutionContext
    if settings is not None:
        depth, tokens, aliases, cost, page, weight = (
            settings.max_query_depth,
            settings.max_query_tokens,
            settings.max_query_aliases,
            settings.max_query_cost,
            settings.max_page_size,
            settings.max_input_weight,
        )
        # Factories, not instances: Strawberry builds fresh extensions per operation.
        extensions += [
            lambda: QueryDepthLimiter(max_depth=depth),
            lambda: MaxTokensLimiter(max_token_count=tokens),
            lambda: MaxAliasesLimiter(max_alias_count=aliases),
            lambda: QueryCostLimiter(budget=cost, max_page_size=page),
            lambda: InputSizeLimiter(limit=weight),
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
