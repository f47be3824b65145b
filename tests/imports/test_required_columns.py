"""What a file of each kind cannot do without, by mode and by the columns it can match on."""

from __future__ import annotations

import pytest

from domain.imports.mapping import missing_fields
from models.enums import ImportKind, ImportMode

CUSTOMER = ("customer.externalId", "customer.phone", "customer.name")


@pytest.mark.parametrize(
    ("kind", "mode", "match_on", "fields", "missing"),
    [
        # rows can only create: a name is needed
        (ImportKind.CUSTOMERS, ImportMode.CREATE, ["externalId"], ["externalId"], [("name",)]),
        (ImportKind.CUSTOMERS, ImportMode.UPSERT, ["externalId"], ["phone"], [("name",)]),
        # rows may match a stored customer and update it: no name needed
        (ImportKind.CUSTOMERS, ImportMode.UPSERT, ["externalId"], ["externalId", "phone"], []),
        (ImportKind.CUSTOMERS, ImportMode.UPDATE, ["externalId"], ["phone"], []),
        (ImportKind.CUSTOMERS, ImportMode.CREATE, [], ["name"], []),
        # a contact always names its customer
        (ImportKind.CONTACTS, ImportMode.UPDATE, ["email"], ["email", "phone"], [CUSTOMER]),
        (ImportKind.CONTACTS, ImportMode.UPSERT, ["email"], ["customer.phone", "email"], []),
        (
            ImportKind.CONTACTS,
            ImportMode.CREATE,
            ["email"],
            ["email"],
            [CUSTOMER, ("name",)],
        ),
        # an activity's content matches only beside its time
        (
            ImportKind.ACTIVITIES,
            ImportMode.UPSERT,
            ["externalId", "content"],
            ["customer.name", "content"],
            [("occurredAt",)],
        ),
        (
            ImportKind.ACTIVITIES,
            ImportMode.UPSERT,
            ["externalId", "content"],
            ["customer.name", "externalId"],
            [],
        ),
        (
            ImportKind.OPPORTUNITIES,
            ImportMode.UPSERT,
            ["externalId", "name"],
            ["customer.externalId", "amount"],
            [("name",)],
        ),
    ],
)
def test_what_a_file_lacks(kind, mode, match_on, fields, missing):
    assert missing_fields(kind, mode, match_on, fields) == missing
