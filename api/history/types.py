"""History entries (one changed field of a customer, contact or deal) and timeline entries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from api.accounts.types import User
from api.activities.types import Activity
from api.context import Info
from api.core.ids import to_global_id
from api.core.pagination import Connection
from api.core.types import model_is_type_of
from api.customers.masking import reads_masked
from api.imports.types import ImportJob
from api.sales.types import StageChange
from domain.masking import STARS, mask_email, mask_phone
from models import FieldChange as FieldChangeModel
from models.enums import ChangedEntity as ChangedEntityEnum
from models.enums import ChangeSource as ChangeSourceEnum

ChangeSource = ChangeSourceEnum
strawberry.enum(
    ChangeSource,
    name="ChangeSource",
    description="Through what a change came: the API (a person or an API key), an import "
    "job, a pool rule (a return, a claim, a release), a transfer, a merge.",
)
ChangedEntity = ChangedEntityEnum
strawberry.enum(ChangedEntity, name="ChangedEntity", description="The kind of a changed record.")

# The node type of each kind of record, for its global id (the record may be gone since).
_TYPE_NAMES = {
    ChangedEntity.CUSTOMER: "Customer",
    ChangedEntity.CONTACT: "Contact",
    ChangedEntity.OPPORTUNITY: "Opportunity",
    ChangedEntity.ACTIVITY: "Activity",
}

# A pooled customer's phone and e-mail, and its contacts', read masked by a REP in their
# history as they do on the records (`api/customers/masking.py`).
_MASKS: dict[str, Callable[[str], str | None]] = {"phone": mask_phone, "email": mask_email}
MASKED_VALUE = (
    "A phone or e-mail of a customer or contact reads masked when the record's own field "
    "does (a REP, a customer in a pool that masks contact details, until claimed)."
)


# A reference is kept as the row's id; a client reads it as the global id `node(id:)` takes.
_REFERENCES = {"owner": "User", "stage": "Stage"}


async def _shown(info: Info, change: FieldChangeModel, value: Any) -> Any:
    if change.field in _REFERENCES and isinstance(value, int):
        return to_global_id(_REFERENCES[change.field], value)
    mask = _MASKS.get(change.field)
    if mask is None or value is None or change.entity is ChangedEntity.OPPORTUNITY:
        return value
    customer = await info.context.loaders.customer_by_id.load(change.customer_id or 0)
    if customer is not None and not await reads_masked(info, customer):
        return value
    return mask(value) if isinstance(value, str) else STARS


@strawberry.type(
    description="One field of a customer, contact or deal changed: from what, to what, by "
    "whom, when, through what. A record's creation is its non-empty fields set from null; "
    "custom fields are one entry per key (`customFields.level`); `owner` and `stage` hold "
    "the global ids of a User and a Stage."
)
class FieldChange:
    entity: ChangedEntity
    field: str = strawberry.field(
        description='As the API names it: "name", "owner", "stage", "customFields.level"…'
    )
    source: ChangeSource
    changed_at: datetime
    is_type_of = model_is_type_of(FieldChangeModel)

    @strawberry.field(description=MASKED_VALUE)
    @staticmethod
    async def old_value(parent: strawberry.Parent[FieldChangeModel], info: Info) -> JSON | None:
        return await _shown(info, parent, parent.old_value)

    @strawberry.field(description=MASKED_VALUE)
    @staticmethod
    async def new_value(parent: strawberry.Parent[FieldChangeModel], info: Info) -> JSON | None:
        return await _shown(info, parent, parent.new_value)

    @strawberry.field(description="The global id of the changed record (it may be deleted).")
    @staticmethod
    def record_id(parent: strawberry.Parent[FieldChangeModel]) -> strawberry.ID:
        return strawberry.ID(to_global_id(_TYPE_NAMES[parent.entity], parent.entity_id))

    @strawberry.field(
        description="What the change came through, when it has an id: the import job's id for "
        "IMPORT (see `importJob`), the transfer's or merge's number otherwise."
    )
    @staticmethod
    def source_id(parent: strawberry.Parent[FieldChangeModel]) -> strawberry.ID | None:
        if parent.source_id is None:
            return None
        if parent.source == ChangeSource.IMPORT:
            return strawberry.ID(to_global_id("ImportJob", parent.source_id))
        return strawberry.ID(str(parent.source_id))

    @strawberry.field(
        description="The import job the change came through, if the viewer may see it."
    )
    @staticmethod
    async def import_job(
        parent: strawberry.Parent[FieldChangeModel], info: Info
    ) -> ImportJob | None:
        if parent.source != ChangeSource.IMPORT or parent.source_id is None:
            return None
        # The job as `node(id:)` would read it: the one rule of who sees which job.
        job: Any = await ImportJob.load_node(info, info.context.require_viewer(), parent.source_id)
        return job

    @strawberry.field(description="Who made the change; null for a workspace's API key.")
    @staticmethod
    async def changed_by(parent: strawberry.Parent[FieldChangeModel], info: Info) -> User | None:
        user_id = parent.user_id
        return None if user_id is None else await info.context.loaders.user_by_id.load(user_id)

    @strawberry.field(description="The name of the API key the change was made with, if any.")
    @staticmethod
    async def api_key_name(parent: strawberry.Parent[FieldChangeModel], info: Info) -> str | None:
        if parent.api_key_id is None:
            return None
        key = await info.context.loaders.api_key_by_id.load(parent.api_key_id)
        return None if key is None else key.name


TimelineEntry = Annotated[
    Activity | StageChange | FieldChange,
    strawberry.union(
        "TimelineEntry",
        description="An activity, a stage change of a deal, or a changed field of the "
        "customer, a contact or a deal.",
    ),
]


# Named here, where the union is at hand, so the connection is named after it.
@strawberry.type
class TimelineConnection(Connection[TimelineEntry]):
    pass
