"""How deep a document's selections nest once its fragment spreads are followed: refused past
a bound, before anything walks them recursively.

graphql-core's parser stops one definition at 200 levels, but a fragment may spread
another: a chain of 190 fragments (3,806 tokens, under the token limit) nested nearly a
thousand levels, and the validators that follow spreads by recursion (Strawberry's
MaxAliasesLimiter and QueryDepthLimiter, graphql-core's OverlappingFieldsCanBeMerged)
ended in a RecursionError, an unexpected error with a traceback of a thousand frames.
Here the nesting is measured without recursion, once per definition, before validation
runs, and a document past MAX_NESTING is refused as the client's error (QUERY_TOO_DEEP).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from api.core.errors import ClientError

# Levels of fields with selections, inline fragments and fragment spreads on one path.
# Queries are at most MAX_QUERY_DEPTH (12) fields deep; a client that wraps every level in
# a spread and an inline fragment stays under 40. At 64 the deepest recursion that
# follows (a few frames a level) stays far from Python's limit of 1,000 frames.
MAX_NESTING = 64
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"


class SelectionNestingLimiter(SchemaExtension):
    """Refuses, before validation, a document nested deeper than MAX_NESTING."""

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            nesting = selection_nesting(document)
            if nesting > MAX_NESTING:
                # Set before validation, this skips it: its rules are what would recurse.
                self.execution_context.pre_execution_errors = [
                    ClientError(
                        f"The document nests {nesting:,} levels deep once its fragments are "
                        f"spread; at most {MAX_NESTING} are allowed.",
                        QUERY_TOO_DEEP,
                        nesting=nesting,
                        limit=MAX_NESTING,
                    )
                ]
        yield


def selection_nesting(document: DocumentNode) -> int:
    """The deepest path through the document's selections, spreads followed (a cycle of
    spreads, which validation refuses, is followed once)."""
    definitions = {
        definition: _own_shape(definition.selection_set)
        for definition in document.definitions
        if hasattr(definition, "selection_set")
    }
    fragments = {
        definition.name.value: definition
        for definition in definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    # Each definition's nesting, spreads followed: a depth-first walk of the spread graph
    # with its own stack (a definition and its next spread to follow), each definition
    # finished once. A spread back into the path (a cycle) counts its own level only.
    nesting: dict[object, int] = {}
    for root in definitions:
        if root in nesting:
            continue
        stack: list[list] = [[root, 0]]
        on_path = {root}
        while stack:
            top = stack[-1]
            definition, index = top
            spreads = definitions[definition][1]
            if index < len(spreads):
                top[1] += 1
                fragment = fragments.get(spreads[index][1])
                if fragment is not None and fragment not in nesting and fragment not in on_path:
                    stack.append([fragment, 0])
                    on_path.add(fragment)
                continue
            stack.pop()
            on_path.discard(definition)
            nesting[definition] = max(
                [definitions[definition][0]]
                + [level + nesting.get(fragments.get(name), 0) for level, name in spreads]
            )
    return max(nesting.values(), default=0)


def _own_shape(selection_set: SelectionSetNode) -> tuple[int, list[tuple[int, str]]]:
    """How deep a definition's own selections nest, and each spread with its level."""
    deepest, spreads = 0, []
    stack = [(selection_set, 0)]
    while stack:
        selections, level = stack.pop()
        for selection in selections.selections:
            if isinstance(selection, FragmentSpreadNode):
                spreads.append((level + 1, selection.name.value))
                deepest = max(deepest, level + 1)
            elif isinstance(selection, (FieldNode, InlineFragmentNode)):
                deepest = max(deepest, level + 1)
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, level + 1))
    return deepest, spreads
