"""What a query may cost, estimated from its document before anything runs, and a budget.

The model is GitHub's node limit: a connection asks for as many nodes as its page (`first`
or `last`, else `DEFAULT_PAGE_SIZE`) for each object the lists above it may return, so

    customers(first: 100) › activities(first: 100) › customer › activities(first: 100)

asks for 100 + 100·100 + 100·100·100 = 1,010,100 nodes. A list that is not paginated
(`lineItems`, `stages`, a payload's `errors`) counts the most it may hold: the bound its
field declares (`api.core.list_bounds`: 200 line items, 30 stages, 100 errors…), which its
domain rule enforces and its resolver never reads past. A single object (`customer`,
`owner`) and a connection's own `edges` add nothing. Fragments are followed and merged as
the executor merges them; under an interface (`node`) the dearest of its types counts;
`@skip`/`@include` are honoured when their condition is known.

The walk is memoised by (type, selection sets): the cost below a field is a sum of products
with the multiplier above it, so each fragment is costed once per type, however often it
is spread (a document of fragments spreading fragments cannot make the walk exponential).

It runs as a validation rule (`QueryCostLimiter`), beside the depth limit, for queries,
mutations and subscriptions alike: an operation over `MAX_QUERY_COST` is refused with
`QUERY_TOO_COSTLY`, its cost and the budget, before any resolver or SQL runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValueNode,
    VariableNode,
)

from api.core.errors import ClientError
from api.core.list_bounds import Composite, declared_bound, is_connection, unwrap
from api.core.operation_checks import OperationCheck
from api.core.pagination import DEFAULT_PAGE_SIZE

# A literal this long is no 32-bit Int (validation refuses it); never hand it to int().
_LONGEST_INT = 11


class CostEstimator:
    """The nodes one operation of a document may ask for, given its variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        *,
        max_page_size: int,
        default_page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables if isinstance(variables, Mapping) else {}
        self.max_page_size = max_page_size
        self.default_page_size = default_page_size
        self._defaults: dict[str, ValueNode] = {}
        self._memo: dict[tuple[object, ...], int] = {}
        self._busy: set[tuple[object, ...]] = set()

    def operation_cost(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        self._defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        return self._object_cost(root, (operation.selection_set,))

    # ------------------------------------------------------------------ the walk

    def _cost(self, named: Composite, selection_sets: tuple[SelectionSetNode, ...]) -> int:
        """The nodes below one object of `named` (for an interface: its dearest type)."""
        if isinstance(named, GraphQLObjectType):
            return self._object_cost(named, selection_sets)
        return max(
            (self._object_cost(t, selection_sets) for t in self.schema.get_possible_types(named)),
            default=0,
        )

    def _object_cost(
        self, object_type: GraphQLObjectType, selection_sets: tuple[SelectionSetNode, ...]
    ) -> int:
        key = (object_type.name, *map(id, selection_sets))
        known = self._memo.get(key)
        if known is not None:
            return known
        if key in self._busy:
            return 0  # a fragment cycle: validation refuses the document anyway
        self._busy.add(key)
        fields = object_type.fields
        in_connection = is_connection(object_type)
        total = 0
        for nodes in self._collect(object_type, selection_sets).values():
            first = nodes[0]
            definition = fields.get(first.name.value)
            if first.selection_set is None or definition is None:
                continue  # a leaf, __typename, or a field validation refuses
            named, listed = unwrap(definition.type)
            if not isinstance(named, Composite):
                continue
            below = (
                (first.selection_set,)
                if len(nodes) == 1
                else tuple(node.selection_set for node in nodes if node.selection_set)
            )
            nested = self._cost(named, below)
            if is_connection(named):
                total += self._page_size(nodes) * (1 + nested)
            elif listed and not in_connection:  # a connection's `edges` are its page
                total += self._list_size(definition) * (1 + nested)
            else:
                total += nested
        self._busy.discard(key)
        self._memo[key] = total
        return total

    def _collect(
        self, object_type: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """The fields selected on `object_type`, by response key, as the executor merges them."""
        fields: dict[str, list[FieldNode]] = {}
        spread: set[str] = set()
        pending = list(selection_sets)
        while pending:
            for selection in pending.pop().selections:
                if selection.directives and not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, object_type):
                        pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in spread:
                        continue  # the executor spreads a fragment once per selection
                    spread.add(name)
                    fragment = self.fragments.get(name)
                    if fragment is not None and self._applies(fragment.type_condition, object_type):
                        pending.append(fragment.selection_set)
        return fields

    def _applies(self, condition: NamedTypeNode | None, object_type: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == object_type.name:
            return True
        named = self.schema.get_type(condition.name.value)
        return isinstance(named, GraphQLInterfaceType | GraphQLUnionType) and (
            self.schema.is_sub_type(named, object_type)
        )

    # ------------------------------------------------------------------ arguments

    def _list_size(self, definition: GraphQLField) -> int:
        bound = declared_bound(definition)
        # Every list declares its bound (tests/api/test_list_bounds.py); one that forgot
        # counts as much as the largest page rather than as a guess.
        return self.max_page_size if bound is None else bound

    def _page_size(self, nodes: list[FieldNode]) -> int:
        size = 0
        for node in nodes:
            asked = [
                self._int(argument.value)
                for argument in node.arguments or ()
                if argument.name.value in ("first", "last")
            ]
            given = [value for value in asked if value is not None]
            # Beyond the maximum a page is refused (BAD_PAGINATION) before it is read.
            page = min(max(given), self.max_page_size) if given else self.default_page_size
            size = max(size, page, 0)
        return size

    def _included(self, node: Any) -> bool:
        for directive in node.directives:
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next(
                (self._value(a.value) for a in directive.arguments if a.name.value == "if"), None
            )
            if isinstance(condition, bool) and condition == (name == "skip"):
                return False
        return True

    def _int(self, node: ValueNode) -> int | None:
        value = self._value(node)
        if isinstance(value, bool):
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value if isinstance(value, int) else None

    def _value(self, node: ValueNode) -> object:
        """A literal's or a variable's value; None when unknown (validation has the last word)."""
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            default = self._defaults.get(name)  # a constant: it holds no variable
            return None if default is None else self._value(default)
        if isinstance(node, IntValueNode):
            text = node.value
            return int(text) if len(text) <= _LONGEST_INT else None
        if isinstance(node, BooleanValueNode):
            return node.value
        return None


# ---------------------------------------------------------------------- the limit


class QueryCostLimiter(OperationCheck):
    """Refuses an operation whose estimated cost exceeds the budget, at validation.

    A client tunes a query by sending `"extensions": {"cost": true}` with it: the response's
    `extensions.cost` then holds the estimate and the budget.
    """

    def __init__(self, *, budget: int, max_page_size: int) -> None:
        self.budget = budget
        self.max_page_size = max_page_size
        self.cost: int | None = None

    def check_operation(
        self, context: ValidationContext, operation: OperationDefinitionNode
    ) -> None:
        execution = self.execution_context
        estimator = CostEstimator(
            context.schema, context.document, execution.variables, max_page_size=self.max_page_size
        )
        cost = estimator.operation_cost(operation)
        self.cost = cost if self.cost is None else max(self.cost, cost)
        if cost > self.budget:
            context.report_error(
                ClientError(
                    f"This query may ask for {cost:,} nodes, more than the budget of "
                    f"{self.budget:,}: ask for smaller pages (`first`/`last`) or fewer "
                    "nested lists, and page through with cursors.",
                    "QUERY_TOO_COSTLY",
                    cost=cost,
                    budget=self.budget,
                )
            )

    def get_results(self) -> dict[str, Any]:
        asked = self.execution_context.operation_extensions
        if self.cost is None or not (isinstance(asked, dict) and asked.get("cost") is True):
            return {}
        return {"cost": {"estimated": self.cost, "budget": self.budget}}
