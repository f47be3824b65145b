"""An entity has at most MAX_FIELDS_PER_ENTITY custom fields: `customFieldDefinitions` is a
list read whole, and the query cost counts its bound."""

from __future__ import annotations

from domain.custom_fields import MAX_FIELDS_PER_ENTITY
from models import CustomFieldDefinition, User
from models.enums import CustomFieldEntity, CustomFieldType
from tests.documents import document
from tests.factories import define_custom_field, pk
from tests.helpers import Account, GraphQL, problems

DEFINITIONS = """
query($entity: CustomFieldEntity) { customFieldDefinitions(entity: $entity) { key entity } }
"""


async def _plant(account: Account, entity: CustomFieldEntity, count: int) -> None:
    """Definitions stored without the API (before the rule, or by hand)."""
    admin = await User.get(id=pk(account.user_id))
    await CustomFieldDefinition.bulk_create(
        [
            CustomFieldDefinition(
                workspace_id=admin.workspace_id,
                entity=entity,
                key=f"field_{n:03d}",
                label=f"字段 {n}",
                type=CustomFieldType.TEXT,
                position=n,
            )
            for n in range(count)
        ]
    )


async def test_one_field_more_is_refused_naming_the_limit(gql: GraphQL, workspace: Account):
    # given: customers have all the fields they may have
    await _plant(workspace, CustomFieldEntity.CUSTOMER, MAX_FIELDS_PER_ENTITY)
    fields = {"entity": "CUSTOMER", "key": "one_more", "label": "One more", "type": "TEXT"}

    # when
    result = await gql.execute(document("defineCustomField"), {"input": fields}, workspace.token)

    # then: refused; another entity still takes one
    payload = result.ok()["defineCustomField"]
    assert problems(payload) == [("input.entity", "CONFLICT")]
    assert f"at most {MAX_FIELDS_PER_ENTITY} custom fields" in payload["errors"][0]["message"]
    assert (await define_custom_field(gql, workspace, "CONTACT", "one_more"))["entity"] == "CONTACT"


async def test_no_more_definitions_are_read_than_the_bound(gql: GraphQL, workspace: Account):
    # given: contacts with fifty fields more than the bound, stored before the rule
    await _plant(workspace, CustomFieldEntity.CONTACT, MAX_FIELDS_PER_ENTITY + 50)

    # when
    read = (await gql.execute(DEFINITIONS, {"entity": "CONTACT"}, workspace.token)).ok()

    # then: the first by position
    keys = [d["key"] for d in read["customFieldDefinitions"]]
    assert keys == [f"field_{n:03d}" for n in range(MAX_FIELDS_PER_ENTITY)]
