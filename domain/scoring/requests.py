"""Who may ask for scores to be recomputed, and of which customers.

A request names customers the viewer sees (any member may: it only refreshes numbers
they read; one they do not see is not found, as everywhere), or none, for the whole
workspace (ADMIN or MANAGER: it is the nightly run's work, brought forward). The work
itself is a worker's: the request says what to queue, and nothing is queued when any of
it is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from domain.errors import DomainError, ErrorCode
from domain.viewer import Viewer
from domain.visibility import customer_filter
from models import Customer, Workspace
from models.enums import Role

# Customers one request may name; the whole workspace is asked for without ids.
MAX_CUSTOMER_IDS = 1000
FIELD = "customerIds"


@dataclass(frozen=True)
class ScoreRequest:
    workspace_id: int
    # With the id, what tells this workspace from another database's of the same number.
    workspace_created_at: datetime
    # None: every customer of the workspace.
    customer_ids: list[int] | None


def _not_found(missing: int) -> DomainError:
    message = "Customer not found." if missing == 1 else f"{missing} customers not found."
    return DomainError.single(FIELD, message, ErrorCode.NOT_FOUND)


async def score_request(viewer: Viewer, customer_ids: Sequence[int | None] | None) -> ScoreRequest:
    """What to queue for the viewer. `customer_ids` are primary keys; None in the list
    stands for an id the caller could not read as a customer's (it is not found)."""
    if customer_ids is None:
        viewer.require_role(Role.MANAGER, "recompute the scores of the whole workspace")
    elif not customer_ids:
        raise DomainError.single(
            FIELD,
            "Name at least one customer, or leave customerIds out for the whole workspace.",
            ErrorCode.INVALID,
        )
    elif len(customer_ids) > MAX_CUSTOMER_IDS:
        raise DomainError.single(
            FIELD,
            f"At most {MAX_CUSTOMER_IDS:,} customers at a time; leave customerIds out "
            "to recompute the whole workspace.",
            ErrorCode.INVALID,
        )
    ids: list[int] | None = None
    if customer_ids is not None:
        wanted = {pk for pk in customer_ids if pk is not None}
        unreadable = sum(1 for pk in customer_ids if pk is None)
        # Tortoise types a flat values_list as tuples; it gives the column's values.
        found: set[int] = set(
            cast(
                list[int],
                await Customer.filter(
                    await customer_filter(viewer), workspace_id=viewer.workspace_id, id__in=wanted
                ).values_list("id", flat=True),
            )
            if wanted
            else []
        )
        missing = unreadable + len(wanted - found)
        if missing:
            raise _not_found(missing)
        ids = sorted(found)
    created_at = cast(
        datetime,
        await Workspace.filter(id=viewer.workspace_id).first().values_list("created_at", flat=True),
    )
    return ScoreRequest(viewer.workspace_id, created_at, ids)
