"""Transferring customers to another owner (`transferCustomers`), with or without their open
deals and pending reminders.

The request is checked whole when it is made (every customer seen and reassignable by the
viewer, `may_reassign`), and its customers are fixed on a `CustomerTransfer` row. Up to
INLINE_LIMIT are moved before the mutation answers; more by a worker. Either way the row
is worked through in batches of BATCH, each one transaction that also advances the row's
checkpoint (`done`) from the value it read, so a rerun (arq delivers at least once, the
sweeper nudges again) resumes where the last commit left off and never moves a batch
twice. Each batch reads its customers' owners again `FOR UPDATE`, so one whose owner
changed since, and is no longer the viewer's to hand out, is left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.errors import ErrorCode, Problems, forbidden, not_found
from domain.history import Change, Through, record_changes
from domain.pools import owner_change
from domain.sql import Sql
from domain.viewer import Viewer
from domain.visibility import customer_filter, may_reassign, scope_of
from models import ApiKey, Customer, CustomerTransfer, Opportunity, Reminder, User
from models.enums import (
    ChangedEntity,
    ChangeSource,
    OpportunityStatus,
    ReminderStatus,
    Role,
    TransferStatus,
)

INLINE_LIMIT = 500
BATCH = 500
# The most customers one transfer moves (a filter matching more is refused).
MAX_TRANSFER = 100_000
FINISHED = (TransferStatus.COMPLETED, TransferStatus.FAILED)


async def transfer_customers(
    viewer: Viewer,
    customer_ids: list[int],
    to_user_id: int,
    *,
    with_open_deals: bool,
    with_pending_reminders: bool,
    now: datetime | None = None,
) -> CustomerTransfer:
    """Records the transfer and, when it is small, makes it; a large one is QUEUED for a
    worker (`run_transfer`), the caller nudging one."""
    problems = Problems()
    ids = sorted(set(customer_ids))
    if not ids:
        problems.add("input.ids", "Name at least one customer.", ErrorCode.REQUIRED)
    if len(ids) > MAX_TRANSFER:
        problems.add("input.ids", f"At most {MAX_TRANSFER} customers a transfer.")
    receiver = await User.filter(
        id=to_user_id, workspace_id=viewer.workspace_id, is_active=True
    ).first()
    if receiver is None:
        problems.add("input.toUserId", "User not found.", ErrorCode.NOT_FOUND)
    problems.raise_if_any()
    scope = await scope_of(viewer)
    seen = dict(
        await Customer.filter(await customer_filter(viewer), id__in=ids).values_list(
            "id", "owner_id"
        )
    )
    if len(seen) < len(ids):
        raise not_found("input.ids", f"{len(ids) - len(seen)} of these customers")
    refused = [pk for pk, owner in seen.items() if not may_reassign(scope, owner, to_user_id)]
    if refused:
        raise forbidden(
            f"You may not hand {len(refused)} of these customers to this user: reassigning "
            "needs a manager over both owners, or an admin."
        )
    transfer = await CustomerTransfer.create(
        workspace_id=viewer.workspace_id,
        user_id=viewer.user_id,
        api_key_id=viewer.api_key_id,
        to_user_id=to_user_id,
        with_open_deals=with_open_deals,
        with_pending_reminders=with_pending_reminders,
        customer_ids=ids,
        total=len(ids),
    )
    if len(ids) <= INLINE_LIMIT:
        await run_transfer(transfer.id, now=now)
        await transfer.refresh_from_db()
    return transfer


async def get_transfer(viewer: Viewer, transfer_id: int) -> CustomerTransfer | None:
    """A transfer of the viewer's workspace that the viewer made (an admin: any)."""
    query = CustomerTransfer.filter(id=transfer_id, workspace_id=viewer.workspace_id)
    if viewer.role is not Role.ADMIN:
        query = query.filter(user_id=viewer.user_id, api_key_id=viewer.api_key_id)
    return await query.first()


async def _viewer_of(transfer: CustomerTransfer) -> Viewer:
    """Who made the transfer, as they are now (a worker acts for them)."""
    role = Role.ADMIN
    if transfer.user_id is not None:
        user = await User.filter(id=transfer.user_id).first()
        role = user.role if user is not None and user.is_active else Role.REP
    if transfer.api_key_id is not None:
        key = await ApiKey.filter(id=transfer.api_key_id).first()
        key_role = key.role if key is not None else Role.REP
        role = key_role if not key_role.at_least(role) else role
    return Viewer(
        workspace_id=transfer.workspace_id,
        role=role,
        user_id=transfer.user_id,
        api_key_id=transfer.api_key_id,
    )


async def run_transfer(transfer_id: int, now: datetime | None = None) -> CustomerTransfer | None:
    """Works the transfer through from its checkpoint; None when there is no such transfer."""
    transfer = await CustomerTransfer.filter(id=transfer_id).first()
    if transfer is None or transfer.status in FINISHED:
        return transfer
    await CustomerTransfer.filter(id=transfer.id, status=TransferStatus.QUEUED).update(
        status=TransferStatus.RUNNING
    )
    viewer = await _viewer_of(transfer)
    through = Through(ChangeSource.TRANSFER, transfer.id)
    while transfer.done < transfer.total:
        batch = transfer.customer_ids[transfer.done : transfer.done + BATCH]
        at = now or datetime.now(UTC)
        try:
            async with in_transaction():
                moved = await _move(viewer, transfer, batch, through, at)
                advanced = await CustomerTransfer.filter(id=transfer.id, done=transfer.done).update(
                    done=transfer.done + len(batch), transferred=F("transferred") + moved
                )
                if not advanced:
                    raise _Overtaken
        except _Overtaken:  # another run committed this batch first: it goes on
            return await CustomerTransfer.filter(id=transfer.id).first()
        await transfer.refresh_from_db()
    await CustomerTransfer.filter(id=transfer.id).update(
        status=TransferStatus.COMPLETED, finished_at=now or datetime.now(UTC)
    )
    await transfer.refresh_from_db()
    return transfer


class _Overtaken(Exception):
    pass


async def _move(
    viewer: Viewer, transfer: CustomerTransfer, batch: list[int], through: Through, at: datetime
) -> int:
    """Moves one batch: a constant number of statements whatever its size."""
    to = transfer.to_user_id
    scope = await scope_of(viewer)
    sql = Sql(Customer._meta.db)
    owners = await sql.rows(
        f"SELECT id, owner_id FROM customer WHERE {sql.among('id', batch)} "
        f"AND workspace_id = {sql.bind(transfer.workspace_id)} ORDER BY id{sql.for_update()}"
    )
    moving = {pk: owner for pk, owner in owners if owner != to and may_reassign(scope, owner, to)}
    if not moving:
        return 0
    ids = list(moving)
    await Customer.filter(id__in=ids).update(
        owner_id=to,
        owned_since=at,
        pool_id=None,
        pooled_at=None,
        pool_warned_at=None,
        locked_at=None,
        updated_at=at,
    )
    changes: list[Change] = [owner_change(pk, owner, to) for pk, owner in moving.items()]
    if transfer.with_open_deals:
        deals = await Opportunity.filter(
            customer_id__in=ids, status=OpportunityStatus.OPEN
        ).values_list("id", "customer_id", "owner_id")
        deals = [deal for deal in deals if deal[2] != to]
        if deals:
            await Opportunity.filter(id__in=[deal[0] for deal in deals]).update(
                owner_id=to, updated_at=at
            )
            changes += [
                Change(ChangedEntity.OPPORTUNITY, pk, customer_id, "owner", owner, to)
                for pk, customer_id, owner in deals
            ]
    if transfer.with_pending_reminders:
        await Reminder.filter(customer_id__in=ids, status=ReminderStatus.PENDING).update(
            user_id=to, updated_at=at
        )
    await record_changes(viewer, through, changes, at=at)
    return len(ids)


async def unfinished_transfers() -> list[tuple[int, datetime]]:
    """Transfers a worker should be working on, (id, created_at): the sweeper nudges them."""
    unfinished = CustomerTransfer.filter(status__in=(TransferStatus.QUEUED, TransferStatus.RUNNING))
    return cast(list[tuple[int, datetime]], await unfinished.values_list("id", "created_at"))
