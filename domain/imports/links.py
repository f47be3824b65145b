"""Whom the rows of contacts, activities and deals refer to: a customer, a workspace member.

Each is loaded for a whole chunk in a constant number of queries (one per link column
the chunk uses), always within the viewer's workspace: a link never reaches another
tenant's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Lower
from tortoise.queryset import QuerySet

from domain.errors import ErrorCode, Problems
from domain.imports.cells import Cells
from domain.validation import check_phone, clean_text, normalize_phone
from domain.viewer import Viewer
from domain.visibility import customer_filter
from models import Customer, User

# Tried in this order for each row, with whichever of them the row gives.
LINK_FIELDS = ("customer.externalId", "customer.phone", "customer.name")


@dataclass
class LinkedCustomer:
    id: int
    owner_id: int | None
    last_activity_at: datetime | None
    field: str  # the link field that found it, where a problem with the link is reported


def named(scope: QuerySet[Customer], names: set[str]) -> QuerySet[Customer]:
    """The customers of `scope` with one of `names` (in lower case), by `LOWER(name)`: the
    expression PostgreSQL's `(workspace_id, LOWER(name))` index holds (migration 0010)."""
    return scope.annotate(name_lower=Lower("name")).filter(name_lower__in=sorted(names))


class CustomerLinks:
    """The stored customers a chunk's rows name, by external id, phone or name."""

    def __init__(self, customers: list[dict[str, Any]]) -> None:
        self.by_external_id: dict[str, dict[str, Any]] = {}
        self.by_phone: dict[str, list[dict[str, Any]]] = {}
        self.by_name: dict[str, list[dict[str, Any]]] = {}
        for customer in customers:  # oldest first
            if customer["external_id"] is not None:
                self.by_external_id[customer["external_id"]] = customer
            if customer["phone_normalized"] is not None:
                self.by_phone.setdefault(customer["phone_normalized"], []).append(customer)
            self.by_name.setdefault((customer["name"] or "").lower(), []).append(customer)

    @classmethod
    async def load(cls, viewer: Viewer, rows: list[Cells]) -> CustomerLinks:
        external_ids = {key for c in rows if (key := clean_text(c.get("customer.externalId")))}
        phones = {
            key for c in rows if (key := normalize_phone(clean_text(c.get("customer.phone"))))
        }
        names = {key.lower() for c in rows if (key := clean_text(c.get("customer.name")))}
        # Only the customers the job's viewer sees: a row naming another finds none.
        scope = Customer.filter(await customer_filter(viewer))
        queries = []
        if external_ids:
            queries.append(scope.filter(external_id__in=sorted(external_ids)))
        if phones:
            queries.append(scope.filter(phone_normalized__in=sorted(phones)))
        if names:
            queries.append(named(scope, names))
        found: dict[int, dict[str, Any]] = {}
        for query in queries:
            for customer in await query.order_by("id").values(
                "id", "name", "phone_normalized", "external_id", "owner_id", "last_activity_at"
            ):
                found[customer["id"]] = customer
        return cls([found[pk] for pk in sorted(found)])

    def find(self, problems: Problems, cells: Cells) -> LinkedCustomer | None:
        """The row's customer; None with a problem when it names none, several (a phone or
        name several customers share, and nothing else that names one), or two (its
        external id one customer, its phone another: never a pick)."""
        # (link field, customers holding the row's key, what several are, what it was)
        looked: list[tuple[str, list[dict[str, Any]], str, str | None]] = []
        if external_id := clean_text(cells.get("customer.externalId")):
            held = [hit] if (hit := self.by_external_id.get(external_id)) else []
            looked.append(("customer.externalId", held, "", f"external id “{external_id}”"))
        if cells.get("customer.phone") is not None:
            phone, normalized = check_phone(problems, "customer.phone", cells["customer.phone"])
            held = self.by_phone.get(normalized, []) if normalized is not None else []
            several = f"have phone “{phone}”: give the customer's external id instead."
            looked.append(("customer.phone", held, several, phone and f"phone “{phone}”"))
        if name := clean_text(cells.get("customer.name")):
            held = self.by_name.get(name.lower(), [])
            several = f"are named “{name}”: give the customer's external id or phone instead."
            looked.append(("customer.name", held, several, f"name “{name}”"))
        found = [(field, held[0]) for field, held, _, _ in looked if len(held) == 1]
        if found:
            (field, customer), *others = found
            other = next(((f, c) for f, c in others if c["id"] != customer["id"]), None)
            if other is not None:
                problems.add(
                    other[0],
                    f"The row's {field} is customer “{customer['name']}”, its {other[0]} "
                    f"customer “{other[1]['name']}”: say which one.",
                    ErrorCode.CONFLICT,
                )
                return None
            return LinkedCustomer(
                customer["id"], customer["owner_id"], customer["last_activity_at"], field
            )
        shared = [(f, f"{len(held)} customers {several}") for f, held, several, _ in looked if held]
        tried = [text for _, held, _, text in looked if not held and text is not None]
        if shared:
            problems.add(*shared[0], ErrorCode.CONFLICT)
        elif not looked:
            problems.add(
                "customer.name",
                "Say which customer: give its external id, phone or name.",
                ErrorCode.REQUIRED,
            )
        elif tried:
            message = f"No customer with {' or '.join(tried)}."
            problems.add(looked[0][0], message, ErrorCode.NOT_FOUND)
        return None


class Members:
    """The workspace's users, found by e-mail or by exact name."""

    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.by_email = {user["email"].lower(): user["id"] for user in users}
        self.by_name: dict[str, list[int]] = {}
        for user in users:
            self.by_name.setdefault(user["name"], []).append(user["id"])

    @classmethod
    async def load(cls, viewer: Viewer, rows: list[Cells], field: str) -> Members:
        """The members, when some row names one in `field` (else none: no query)."""
        if not any(cells.get(field) is not None for cells in rows):
            return cls([])
        return cls(
            await User.filter(workspace_id=viewer.workspace_id).values("id", "name", "email")
        )

    def put(
        self, problems: Problems, cells: dict[str, str], field: str, values: dict, column: str
    ) -> None:
        """Puts the member the row's `field` cell names (an e-mail, or a name only one member
        has), if it gives one, in `values` as `column`; a problem when it names none or several."""
        if field not in cells:
            return
        text = cells[field]
        found = self.by_name.get(text, [])
        if text.lower() in self.by_email:
            values[column] = self.by_email[text.lower()]
        elif len(found) == 1:
            values[column] = found[0]
        elif found:
            problems.add(field, f"Several members are named “{text}”: give an e-mail instead.")
        else:
            problems.add(field, f"No member of this workspace is “{text}”.", ErrorCode.NOT_FOUND)
