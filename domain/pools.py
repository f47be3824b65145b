"""The customer pool (公海): pools and their rules, and what reps do with pooled customers —
claim one, give one back (release), lock theirs against the nightly returns.

A customer without an owner is in a pool: `pool_id`, or the workspace's default pool when
NULL (`default_pool`, made on first use). An owned customer is governed by its owner's
pool: the pool of the owner's team, else of the nearest team above it that has one, else
the default (`governing_pool`); its rules return it there (`domain/pool_rules.py`), and its
limits (locks) count there. A pooled customer's claim limits are its own pool's.

A claim is race-safe without a lock on the customer: one conditional
`UPDATE … WHERE owner_id IS NULL`, whose row count says who won. A rep's own claims are
taken one at a time (their user row is locked for the transaction), so two claims of
theirs at once cannot both pass the limits the other would have reached.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode, Problems, forbidden, not_found
from domain.history import Change, Through, record_changes
from domain.local_time import local_midnight, viewer_zone
from domain.sql import Sql
from domain.validation import check_name, clean_text
from domain.viewer import Viewer
from domain.visibility import customer_filter, may_change, scope_of, team_ids_in_path
from models import Customer, CustomerPool, FieldChange, Reminder, Team, User
from models.enums import ChangedEntity, ChangeSource, CustomerKind, ReminderStatus, Role

# A workspace's pools (the default and one per team at most, in practice a handful): the
# bound of the `pools` list.
MAX_POOLS = 100
DEFAULT_POOL_NAME = "公海"
MAX_RULE_DAYS = 3650
MAX_REASON_LENGTH = 500
VIA_POOL = Through(ChangeSource.POOL)
# The history row that says why a customer went back to the pool (beside its owner change).
REASON = "poolReason"


@dataclass(frozen=True)
class PoolData:
    """A pool as `createPool` gives it; `updatePool` gives some of these fields."""

    name: str
    team_id: int | None = None
    no_activity_days: int | None = None
    no_open_deal_days: int | None = None
    no_won_deal_days: int | None = None
    kinds: tuple[str, ...] = ()
    score_min: float | None = None
    score_max: float | None = None
    exempt_deal_probability: int | None = None
    warn_days_before: int = 3
    max_locks_per_rep: int = 5
    max_customers_per_rep: int | None = None
    max_claims_per_day: int | None = None
    claim_cooldown_days: int = 7
    mask_contacts: bool = True


POOL_FIELDS = tuple(f.name for f in fields(PoolData))
# Each counted field: its least value, whether it may be off (NULL), its most.
_COUNTS: dict[str, tuple[int, bool, int]] = {
    "no_activity_days": (1, True, MAX_RULE_DAYS),
    "no_open_deal_days": (1, True, MAX_RULE_DAYS),
    "no_won_deal_days": (1, True, MAX_RULE_DAYS),
    "exempt_deal_probability": (0, True, 100),
    "warn_days_before": (1, False, 365),
    "max_locks_per_rep": (0, False, 100_000),
    "max_customers_per_rep": (1, True, 1_000_000),
    "max_claims_per_day": (1, True, 100_000),
    "claim_cooldown_days": (0, False, MAX_RULE_DAYS),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _check_rules(problems: Problems, values: dict[str, Any], pool: CustomerPool | None) -> None:
    """Checks the rule fields given in `values` (an update's merged with `pool`'s)."""
    for name, (least, optional, most) in _COUNTS.items():
        if name not in values:
            continue
        value = values[name]
        path = f"input.{_camel(name)}"
        if value is None:
            if not optional:
                problems.add(path, "Must not be null.", ErrorCode.REQUIRED)
        elif not least <= value <= most:
            problems.add(path, f"Must be between {least} and {most}.")
    if "kinds" in values:
        kinds = list(values["kinds"] or ())
        unknown = [k for k in kinds if k not in CustomerKind.__members__]
        if unknown:
            problems.add("input.kinds", f"Unknown customer kinds: {', '.join(unknown)}.")
        values["kinds"] = sorted(set(kinds) - set(unknown))
    for name in ("score_min", "score_max"):
        value = values.get(name)
        if value is not None and not 0 <= value <= 100:
            problems.add(f"input.{_camel(name)}", "Must be between 0 and 100.")
    low = values.get("score_min", pool.score_min if pool else None)
    high = values.get("score_max", pool.score_max if pool else None)
    if low is not None and high is not None and low > high:
        problems.add("input.scoreMin", "Must not be above scoreMax.")


async def default_pool(workspace_id: int) -> CustomerPool:
    """The workspace's default pool (everyone's; customers with no pool are in it), made on
    first use with every return rule off."""
    pool = await CustomerPool.filter(workspace_id=workspace_id, is_default=True).first()
    if pool is not None:
        return pool
    try:
        async with in_transaction():
            return await CustomerPool.create(
                workspace_id=workspace_id, name=DEFAULT_POOL_NAME, is_default=True
            )
    except IntegrityError:  # made at the same moment by another request
        return await CustomerPool.get(workspace_id=workspace_id, is_default=True)


async def visible_pools(viewer: Viewer) -> list[CustomerPool]:
    """The pools the viewer sees, the default first, then by name (at most MAX_POOLS)."""
    default = await default_pool(viewer.workspace_id)
    query = CustomerPool.filter(workspace_id=viewer.workspace_id, is_default=False)
    scope = await scope_of(viewer)
    if not scope.sees_all:
        query = query.filter(id__in=list(scope.pool_ids))
    return [default, *await query.order_by("name", "id").limit(MAX_POOLS - 1)]


async def get_pool(viewer: Viewer, pool_id: int, field: str = "id") -> CustomerPool:
    for pool in await visible_pools(viewer):
        if pool.id == pool_id:
            return pool
    raise not_found(field, "Pool")


async def _check_team(problems: Problems, viewer: Viewer, data: dict[str, Any], own: int) -> None:
    team_id = data.get("team_id")
    if team_id is None:
        return
    if not await Team.filter(id=team_id, workspace_id=viewer.workspace_id).exists():
        problems.add("input.teamId", "Team not found.", ErrorCode.NOT_FOUND)
    elif (
        await CustomerPool.filter(workspace_id=viewer.workspace_id, team_id=team_id)
        .exclude(id=own)
        .exists()
    ):
        problems.add("input.teamId", "This team has a pool already.", ErrorCode.DUPLICATE)


async def _check_name_free(problems: Problems, viewer: Viewer, name: str, own: int) -> None:
    taken = CustomerPool.filter(workspace_id=viewer.workspace_id, name=name).exclude(id=own)
    if name and await taken.exists():
        problems.add("input.name", "A pool of this name exists.", ErrorCode.DUPLICATE)


async def create_pool(viewer: Viewer, data: PoolData) -> CustomerPool:
    viewer.require_role(Role.ADMIN, "create a pool")
    await default_pool(viewer.workspace_id)  # its name is taken from the start
    problems = Problems()
    values = {name: getattr(data, name) for name in POOL_FIELDS}
    values["name"] = check_name(problems, "input.name", data.name)
    _check_rules(problems, values, None)
    await _check_name_free(problems, viewer, values["name"], 0)
    await _check_team(problems, viewer, values, 0)
    problems.raise_if_any()
    try:
        return await CustomerPool.create(workspace_id=viewer.workspace_id, **values)
    except IntegrityError:
        raise DomainError.single(
            "input.name", "A pool of this name exists.", ErrorCode.DUPLICATE
        ) from None


async def update_pool(viewer: Viewer, pool_id: int, changes: dict[str, Any]) -> CustomerPool:
    """Changes the fields given (a PoolData field name → value)."""
    viewer.require_role(Role.ADMIN, "change a pool")
    pool = await get_pool(viewer, pool_id)
    problems = Problems()
    values = {name: value for name, value in changes.items() if name in POOL_FIELDS}
    if "name" in values:
        values["name"] = check_name(problems, "input.name", values["name"])
        await _check_name_free(problems, viewer, values["name"], pool.id)
    if "team_id" in values and pool.is_default and values["team_id"] is not None:
        problems.add("input.teamId", "The default pool is everyone's.", ErrorCode.INVALID)
    if "mask_contacts" in values and values["mask_contacts"] is None:
        problems.add("input.maskContacts", "Must not be null.", ErrorCode.REQUIRED)
    _check_rules(problems, values, pool)
    await _check_team(problems, viewer, values, pool.id)
    problems.raise_if_any()
    pool.update_from_dict(values)
    try:
        await pool.save()
    except IntegrityError:
        raise DomainError.single(
            "input.name", "A pool of this name exists.", ErrorCode.DUPLICATE
        ) from None
    return pool


# ---------------------------------------------------------------- which pool governs whom


def nearest_pool(team_path: str | None, team_pools: dict[int, CustomerPool]) -> CustomerPool | None:
    """The pool of the team at `team_path` or of the nearest team above it (None: the default)."""
    for team_id in reversed(team_ids_in_path(team_path or "")):
        if team_id in team_pools:
            return team_pools[team_id]
    return None


async def team_pools(workspace_id: int) -> dict[int, CustomerPool]:
    pools = await CustomerPool.filter(workspace_id=workspace_id, team_id__not_isnull=True)
    return {pool.team_id: pool for pool in pools if pool.team_id is not None}


async def governing_pool(workspace_id: int, owner_id: int) -> CustomerPool:
    """The pool whose rules and limits apply to `owner_id`'s customers."""
    user = await User.filter(id=owner_id).select_related("team").first()
    path = user.team.path if user is not None and user.team is not None else None
    return nearest_pool(path, await team_pools(workspace_id)) or await default_pool(workspace_id)


def pool_column(pool: CustomerPool) -> int | None:
    """What a customer returned to `pool` keeps in `pool_id` (NULL for the default)."""
    return None if pool.is_default else pool.id


async def customer_pool(customer: Customer) -> CustomerPool | None:
    """The pool a pooled customer is in (None: it has an owner)."""
    if customer.owner_id is not None:
        return None
    if customer.pool_id is not None:
        pool = await CustomerPool.filter(id=customer.pool_id).first()
        if pool is not None:
            return pool
    return await default_pool(customer.workspace_id)


# ---------------------------------------------------------------- claim, release, lock


def owner_change(customer_id: int, old: int | None, new: int | None) -> Change:
    return Change(ChangedEntity.CUSTOMER, customer_id, customer_id, "owner", old, new)


async def _start_of_day(viewer: Viewer, now: datetime) -> datetime:
    zone = await viewer_zone(viewer)
    return local_midnight(now.astimezone(zone).date(), zone)


async def claims_today(viewer: Viewer, now: datetime) -> int:
    """The customers the viewer claimed from a pool since their day began: the history's
    owner changes through the pool that gave them a customer."""
    return await FieldChange.filter(
        workspace_id=viewer.workspace_id,
        entity=ChangedEntity.CUSTOMER,
        field="owner",
        source=ChangeSource.POOL,
        user_id=viewer.user_id,
        new_value__isnull=False,
        changed_at__gte=await _start_of_day(viewer, now),
    ).count()


async def _visible_customer(viewer: Viewer, customer_id: int) -> Customer:
    seen = await customer_filter(viewer)
    customer = await Customer.filter(seen, id=customer_id).first()
    if customer is None:
        raise not_found("id", "Customer")
    return customer


async def hold_user(user_id: int) -> None:
    """Locks the user's row until the transaction ends (PostgreSQL; SQLite has one writer):
    what counts against their limits is then decided one claim or lock at a time."""
    sql = Sql(User._meta.db)
    await sql.rows(f"SELECT id FROM app_user WHERE id = {sql.bind(user_id)}{sql.for_update()}")


def _limit(message: str) -> DomainError:
    return DomainError.single(None, message, ErrorCode.LIMIT)


async def claim_customer(viewer: Viewer, customer_id: int, now: datetime | None = None) -> Customer:
    """The viewer takes a pooled customer they see; one of many claiming it at once wins,
    the others get CONFLICT."""
    now = now or datetime.now(UTC)
    user_id = viewer.user_id
    if user_id is None:
        raise forbidden("Only a user may claim a customer.")
    try:
        customer = await _visible_customer(viewer, customer_id)
    except DomainError:
        if await _claimed_from_pool_seen(viewer, customer_id):
            raise _claimed(False) from None
        raise
    pool = await customer_pool(customer)
    if pool is None:
        raise _claimed(customer.owner_id == user_id)
    cooldown = timedelta(days=pool.claim_cooldown_days)
    if (
        customer.previous_owner_id == user_id
        and customer.pooled_at is not None
        and now < customer.pooled_at + cooldown
    ):
        raise forbidden(
            f"You gave this customer up on {customer.pooled_at.date().isoformat()}: "
            f"you may claim it back {pool.claim_cooldown_days} days after."
        )
    async with in_transaction():
        await hold_user(user_id)
        if pool.max_customers_per_rep is not None:
            held = Customer.filter(workspace_id=viewer.workspace_id, owner_id=user_id)
            if await held.count() >= pool.max_customers_per_rep:
                raise _limit(f"You hold {pool.max_customers_per_rep} customers, this pool's limit.")
        limit = pool.max_claims_per_day
        if limit is not None and await claims_today(viewer, now) >= limit:
            raise _limit(f"You claimed {pool.max_claims_per_day} customers today, the limit.")
        won = await Customer.filter(
            id=customer.id, workspace_id=viewer.workspace_id, owner_id=None
        ).update(
            owner_id=user_id,
            owned_since=now,
            pool_warned_at=None,
            locked_at=None,
            updated_at=now,
        )
        if won != 1:
            raise _claimed(False)
        await record_changes(viewer, VIA_POOL, [owner_change(customer.id, None, user_id)], at=now)
    return await Customer.get(id=customer.id)


async def _claimed_from_pool_seen(viewer: Viewer, customer_id: int) -> bool:
    """Whether a customer the viewer does not see was claimed out of a pool they see (a claim
    keeps `pool_id` and `pooled_at`): the viewer saw it there, so they hear it was taken
    (CONFLICT) rather than NOT_FOUND."""
    row = await Customer.filter(
        id=customer_id,
        workspace_id=viewer.workspace_id,
        owner_id__not_isnull=True,
        pooled_at__not_isnull=True,
    ).first()
    if row is None:
        return False
    return row.pool_id is None or row.pool_id in (await scope_of(viewer)).pool_ids


def _claimed(by_you: bool) -> DomainError:
    message = "You own this customer already." if by_you else "Someone else owns it now."
    return DomainError.single("id", message, ErrorCode.CONFLICT)


async def release_customer(
    viewer: Viewer, customer_id: int, reason: str | None, now: datetime | None = None
) -> Customer:
    """Gives an owned customer back to its owner's pool, with the reason in its history."""
    now = now or datetime.now(UTC)
    problems = Problems()
    reason = clean_text(reason or "") or None
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        problems.add("reason", f"At most {MAX_REASON_LENGTH} characters.")
    problems.raise_if_any()
    customer = await _visible_customer(viewer, customer_id)
    owner_id = customer.owner_id
    if owner_id is None:
        raise DomainError.single("id", "This customer is in the pool already.", ErrorCode.CONFLICT)
    if not may_change(await scope_of(viewer), owner_id):
        raise forbidden("Only its owner or their manager may release this customer.")
    pool = await governing_pool(viewer.workspace_id, owner_id)
    async with in_transaction():
        released = await return_to_pool(viewer.workspace_id, [customer.id], owner_id, pool, now)
        if not released:
            raise DomainError.single("id", "Its owner changed meanwhile.", ErrorCode.CONFLICT)
        changes = [owner_change(customer.id, owner_id, None)]
        if reason is not None:
            changes.append(
                Change(ChangedEntity.CUSTOMER, customer.id, customer.id, REASON, None, reason)
            )
        await record_changes(viewer, VIA_POOL, changes, at=now)
    return await Customer.get(id=customer.id)


async def return_to_pool(
    workspace_id: int, customer_ids: list[int], owner_id: int, pool: CustomerPool, now: datetime
) -> int:
    """Puts the customers, if `owner_id` still holds them, into `pool`, and cancels their
    pending reminders (their owner no longer follows them up); returns how many moved."""
    moved = await Customer.filter(
        id__in=customer_ids, workspace_id=workspace_id, owner_id=owner_id
    ).update(
        owner_id=None,
        previous_owner_id=owner_id,
        pooled_at=now,
        pool_id=pool_column(pool),
        owned_since=None,
        locked_at=None,
        pool_warned_at=None,
        next_follow_up_at=None,
        updated_at=now,
    )
    if moved:
        await cancel_pending_reminders(workspace_id, customer_ids, now)
    return moved


async def cancel_pending_reminders(
    workspace_id: int, customer_ids: list[int], now: datetime
) -> None:
    """A customer back in the pool has nobody to remind: its pending reminders end."""
    await Reminder.filter(
        customer_id__in=customer_ids, workspace_id=workspace_id, status=ReminderStatus.PENDING
    ).update(status=ReminderStatus.CANCELLED, updated_at=now)


async def lock_customer(viewer: Viewer, customer_id: int, now: datetime | None = None) -> Customer:
    """Exempts an owned customer from pool returns, within its pool's locks per rep."""
    now = now or datetime.now(UTC)
    customer = await _visible_customer(viewer, customer_id)
    owner_id = customer.owner_id
    if owner_id is None or not may_change(await scope_of(viewer), owner_id):
        raise forbidden("Only its owner or their manager may lock this customer.")
    if customer.locked_at is not None:
        return customer
    pool = await governing_pool(viewer.workspace_id, owner_id)
    async with in_transaction():
        await hold_user(owner_id)
        locked = await Customer.filter(
            workspace_id=viewer.workspace_id, owner_id=owner_id, locked_at__not_isnull=True
        ).count()
        if locked >= pool.max_locks_per_rep:
            raise _limit(f"Its owner has {pool.max_locks_per_rep} locked customers, the limit.")
        await Customer.filter(id=customer.id, owner_id=owner_id).update(
            locked_at=now, pool_warned_at=None
        )
        await record_changes(
            viewer,
            VIA_POOL,
            [Change(ChangedEntity.CUSTOMER, customer.id, customer.id, "lockedAt", None, now)],
            at=now,
        )
    return await Customer.get(id=customer.id)


async def unlock_customer(
    viewer: Viewer, customer_id: int, now: datetime | None = None
) -> Customer:
    now = now or datetime.now(UTC)
    customer = await _visible_customer(viewer, customer_id)
    if customer.owner_id is None or not may_change(await scope_of(viewer), customer.owner_id):
        raise forbidden("Only its owner or their manager may unlock this customer.")
    if customer.locked_at is None:
        return customer
    async with in_transaction():
        await Customer.filter(id=customer.id).update(locked_at=None)
        change = Change(
            ChangedEntity.CUSTOMER, customer.id, customer.id, "lockedAt", customer.locked_at, None
        )
        await record_changes(viewer, VIA_POOL, [change], at=now)
    return await Customer.get(id=customer.id)
