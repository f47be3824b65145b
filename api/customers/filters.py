"""Customer list filters and orderings, turned into one scoped queryset."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from api.core.ids import filter_id
from api.core.ordering import OrderDirection
from api.core.pagination import Ordering
from api.core.scalars import ON_VIEWERS_CLOCK
from api.customers.types import CustomerKind
from domain.custom_fields import filter_by_custom_field
from domain.customers import tags_index
from domain.errors import Problems
from domain.local_time import LocalMoment, ViewerClock
from domain.validation import check_tags, clean_text, phone_search_key
from domain.viewer import Viewer
from domain.visibility import customer_filter, unmasked_filter
from models import Contact, Customer
from models.enums import CustomerKind as CustomerKindEnum
from models.enums import CustomFieldEntity


@strawberry.input(description="A condition on one of the customers' custom fields.")
class CustomFieldFilter:
    key: str
    value: JSON = strawberry.field(
        description="The value the field must hold; a MULTI_SELECT field must hold this option "
        "among others. An undefined key, or a value the field cannot hold, matches nothing."
    )


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Matches name, phone, email, external id and the customer's contacts' "
        "names, phones and emails.",
    )
    kind: CustomerKind | None = None
    owner_id: strawberry.ID | None = None
    lead_source: str | None = None
    tag: str | None = None
    min_score: float | None = None
    follow_up_due_before: LocalMoment | None = strawberry.field(
        default=None,
        description="Customers whose next follow-up is due at or before this instant. "
        + ON_VIEWERS_CLOCK,
    )
    updated_since: LocalMoment | None = strawberry.field(
        default=None,
        description="Customers changed at or after this instant (for clients that sync). "
        + ON_VIEWERS_CLOCK,
    )
    custom_field: CustomFieldFilter | None = None


@strawberry.enum
class CustomerOrderField(Enum):
    SCORE = "score"
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    LAST_ACTIVITY_AT = "last_activity_at"
    NEXT_FOLLOW_UP_AT = "next_follow_up_at"


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField
    direction: OrderDirection


# Recently changed first, unless `orderBy` says otherwise.
DEFAULT_ORDER = Ordering("updated_at", descending=True)


async def _search(viewer: Viewer, text: str) -> Q | None:
    text = clean_text(text) or ""
    if not text:
        return None
    named = Q(name__icontains=text) | Q(external_id__icontains=text)
    contacts = Contact.filter(workspace_id=viewer.workspace_id)
    named |= Q(id__in=Subquery(contacts.filter(name__icontains=text).values("customer_id")))
    details = Q(email__icontains=text)
    contact_details = Q(email__icontains=text)
    digits = phone_search_key(text)
    if digits:
        # Both "021-6888-1234" and "+86 21 6888 1234" are stored as 02168881234.
        details |= Q(phone_normalized__contains=digits)
        contact_details |= Q(phone_normalized__contains=digits)
    details |= Q(id__in=Subquery(contacts.filter(contact_details).values("customer_id")))
    # Phones and e-mails the viewer reads masked are not searched: a search by ever longer
    # digits would spell the number out.
    readable = await unmasked_filter(viewer)
    return named | (details if readable is None else details & readable)


async def filter_customers(viewer: Viewer, flt: CustomerFilter | None) -> QuerySet[Customer]:
    """The customers the viewer sees (`domain.visibility`) matching every filter given; an
    unknown owner id matches none."""
    query = Customer.filter(await customer_filter(viewer), workspace_id=viewer.workspace_id)
    if flt is None:
        return query
    if flt.search and (matches := await _search(viewer, flt.search)) is not None:
        query = query.filter(matches)
    if flt.kind is not None:
        query = query.filter(kind=CustomerKindEnum(flt.kind.value))
    if flt.owner_id is not None:
        query = query.filter(owner_id=filter_id(flt.owner_id, "User"))
    if flt.lead_source is not None:
        query = query.filter(lead_source=clean_text(flt.lead_source))
    if flt.tag and (tag := check_tags(Problems(), "filter.tag", [flt.tag])):
        query = query.filter(tags_index__contains=tags_index(tag))
    if flt.min_score is not None:
        query = query.filter(score__gte=flt.min_score)
    clock = ViewerClock(viewer)
    if flt.follow_up_due_before is not None:
        due_before = await clock.instant(flt.follow_up_due_before)
        query = query.filter(next_follow_up_at__lte=due_before)
    if flt.updated_since is not None:
        query = query.filter(updated_at__gte=await clock.instant(flt.updated_since))
    if flt.custom_field is not None:
        query = await filter_by_custom_field(
            query, viewer, CustomFieldEntity.CUSTOMER, flt.custom_field.key, flt.custom_field.value
        )
    return query
