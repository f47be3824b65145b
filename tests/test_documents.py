"""The shared GraphQL documents (tests/documents) are valid against the served schema, each
holds the one operation it is named after (a mutation's root field is its name too, which
is how `tests.factories.mutate` finds the payload), and a name without a document is refused."""

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, OperationType, build_schema, parse, validate

from tests.documents import document

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(path.stem for path in (ROOT / "tests" / "documents").glob("*.graphql"))


@pytest.mark.parametrize("name", NAMES)
def test_a_shared_document_is_one_valid_operation_of_its_name(name: str):
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    parsed = parse(document(name))

    assert validate(schema, parsed) == []
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    assert operation.name is not None and operation.name.value == name[0].upper() + name[1:]
    if operation.operation == OperationType.MUTATION:
        [field] = operation.selection_set.selections
        assert field.name.value == name


def test_an_unknown_document_name_is_refused():
    with pytest.raises(LookupError, match="no shared document 'createCustomr'"):
        document("createCustomr")
