"""Who sees and who may change which customers: one rule, read by every path.

A customer is seen by
- an ADMIN (or an API key acting as the workspace): every customer of the workspace;
- its owner, and the MANAGERs of the owner's team or of any team above it;
- the colleagues it is shared with (`CustomerShare`), who may read but not change it;
- while it has no owner, whoever sees its pool (公海): the default pool (`pool_id` NULL, or a
  pool without a team) everyone, a team's pool that team, the teams below it and the
  managers above it. A REP reads a pooled customer's phone and e-mail (and its contacts')
  masked when the pool says so, until they claim it.

Contacts, activities, deals and reminders are seen through their customer. A record the
viewer may not see is NOT_FOUND, exactly like another workspace's: the doors never say
"forbidden" for what they would not show.

`scope_of(viewer)` works out the sets once (a recursive tree walk is one indexed
`path LIKE` here) and keeps them on the viewer, so a request pays for it once whatever it
reads. `customer_filter` (Tortoise) and `customer_condition` (raw SQL, `domain/sql.Sql`)
are the same rule for the two ways the code reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from tortoise.expressions import Q, Subquery

from domain.sql import Sql
from domain.viewer import Viewer
from models import CustomerPool, CustomerShare, Team, User
from models.enums import DeletePolicy, Role


@dataclass(frozen=True)
class Scope:
    """The sets a viewer's reads are limited by. `owner_ids` None: every owner (an admin)."""

    owner_ids: frozenset[int] | None
    # Pools whose unowned customers the viewer sees, beside those with no pool (`pool_id`
    # NULL: the workspace's default pool).
    pool_ids: frozenset[int]
    # Whose customers this viewer may change as a manager: the managed users (not self).
    managed_user_ids: frozenset[int]
    # The user shares are read for (None: an API key acting as the workspace).
    user_id: int | None

    @property
    def sees_all(self) -> bool:
        return self.owner_ids is None


EVERYTHING = Scope(owner_ids=None, pool_ids=frozenset(), managed_user_ids=frozenset(), user_id=None)


def team_ids_in_path(path: str) -> list[int]:
    """The ids of a team and of every team above it, from its materialised path "/1/7/12/"."""
    return [int(part) for part in path.strip("/").split("/") if part]


async def scope_of(viewer: Viewer) -> Scope:
    """The viewer's scope, computed on first use and kept on the viewer."""
    cached = viewer.cached_scope
    if cached is not None:
        return cached
    scope = await _compute_scope(viewer)
    viewer.keep_scope(scope)
    return scope


async def _compute_scope(viewer: Viewer) -> Scope:
    if viewer.role is Role.ADMIN:
        return EVERYTHING
    if viewer.user_id is None:
        # A non-admin key acting as nobody (made before keys acted as someone, by a user
        # since removed): it sees the default pool only.
        pools = await CustomerPool.filter(workspace_id=viewer.workspace_id, team_id=None)
        return Scope(frozenset(), frozenset(p.id for p in pools), frozenset(), None)
    user = await User.get(id=viewer.user_id).select_related("team")
    team = user.team
    above = team_ids_in_path(team.path) if team is not None else []
    managed: set[int] = set()
    below: list[int] = []
    if viewer.role is Role.MANAGER and team is not None:
        below = await _ids(
            Team.filter(workspace_id=viewer.workspace_id, path__startswith=team.path)
        )
        managed = set(await _ids(User.filter(workspace_id=viewer.workspace_id, team_id__in=below)))
        managed.discard(user.id)
    # A pool of no team is everyone's; a team's pool is seen by that team, the teams below
    # it, and the managers above it.
    pool_ids = await _ids(
        CustomerPool.filter(
            Q(team_id=None) | Q(team_id__in=[*above, *below]), workspace_id=viewer.workspace_id
        )
    )
    return Scope(
        owner_ids=frozenset({user.id, *managed}),
        pool_ids=frozenset(pool_ids),
        managed_user_ids=frozenset(managed),
        user_id=user.id,
    )


async def _ids(query: Any) -> list[int]:
    return cast(list[int], await query.values_list("id", flat=True))


def _q(**lookups: Any) -> Q:
    # Q's own keyword `join_type` would otherwise take the lookups' values for the checker.
    return Q(**lookups)


async def customer_filter(viewer: Viewer, prefix: str = "") -> Q:
    """The customers `viewer` sees, as a filter over Customer (or over a model reaching its
    customer through `prefix`, e.g. "customer__" for contacts, activities and deals)."""
    scope = await scope_of(viewer)
    # The record's own workspace, which is its customer's: an admin's reads join nothing.
    seen = _q(workspace_id=viewer.workspace_id)
    if scope.sees_all:
        return seen
    either = (
        _q(**{f"{prefix}owner_id__in": list(scope.owner_ids or ())})
        | _q(**{f"{prefix}owner_id": None, f"{prefix}pool_id": None})
        | _q(**{f"{prefix}owner_id": None, f"{prefix}pool_id__in": list(scope.pool_ids)})
    )
    if scope.user_id is not None:
        shared = CustomerShare.filter(user_id=scope.user_id).values("customer_id")
        either |= _q(**{f"{prefix}id__in": Subquery(shared)})
    return seen & either


async def customer_condition(viewer: Viewer, sql: Sql, customer: str) -> str:
    """The same rule as `customer_filter`, as a raw SQL condition over the customer table
    aliased `customer` (e.g. "c"), its values bound in `sql`."""
    scope = await scope_of(viewer)
    seen = f"{customer}.workspace_id = {sql.bind(viewer.workspace_id)}"
    if scope.sees_all:
        return seen
    either = [
        sql.among(f"{customer}.owner_id", scope.owner_ids or ()),
        f"({customer}.owner_id IS NULL AND ({customer}.pool_id IS NULL OR "
        f"{sql.among(f'{customer}.pool_id', scope.pool_ids)}))",
    ]
    if scope.user_id is not None:
        either.append(
            f"{customer}.id IN (SELECT customer_id FROM customer_share "
            f"WHERE user_id = {sql.bind(scope.user_id)})"
        )
    return f"{seen} AND ({' OR '.join(either)})"


def sees_without_share(scope: Scope, owner_id: int | None, pool_id: int | None) -> bool:
    """`customer_filter`'s rule for one customer whose owner and pool are in hand, shares
    aside (a share needs its row read): the doors that hold a record ask this first."""
    if scope.sees_all:
        return True
    if owner_id is not None:
        return owner_id in (scope.owner_ids or ())
    return pool_id is None or pool_id in scope.pool_ids


# What a viewer may do with a customer they see, from its owner alone (pure: the doors
# read the owners in their own statement, a chunk's at once).


def may_change(scope: Scope, owner_id: int | None) -> bool:
    """Edit the customer and what hangs from it: its owner, the owner's managers, an admin.
    A pooled customer is changed by claiming it first (an admin excepted); a share reads."""
    if scope.sees_all:
        return True
    return owner_id is not None and owner_id in (scope.owner_ids or ())


def may_delete(scope: Scope, policy: DeletePolicy, owner_id: int | None) -> bool:
    """Delete it, as the workspace's `delete_policy` says (default: the owner's managers)."""
    if scope.sees_all:
        return True
    if policy is DeletePolicy.ADMIN or owner_id is None:
        return False
    if owner_id in scope.managed_user_ids:
        return True
    return policy is DeletePolicy.OWNER and owner_id == scope.user_id


def may_reassign(scope: Scope, from_owner_id: int | None, to_owner_id: int | None) -> bool:
    """Give it from one owner to another: a manager over both (a pooled customer counts as
    theirs to hand out to their team), or an admin. Reps claim and release instead."""
    if scope.sees_all:
        return True
    if from_owner_id == to_owner_id:
        return True
    managed = scope.managed_user_ids | ({scope.user_id} if scope.user_id else set())
    if not scope.managed_user_ids:
        return False
    return (from_owner_id is None or from_owner_id in managed) and (
        to_owner_id is not None and to_owner_id in managed
    )


def masks_contact_details(scope: Scope, owner_id: int | None, pool: Any | None) -> bool:
    """Whether a pooled customer's phone and e-mail read masked for this viewer."""
    if scope.sees_all or owner_id is not None:
        return False
    return scope.managed_user_ids == frozenset() and (pool is None or pool.mask_contacts)


async def unmasked_filter(viewer: Viewer) -> Q | None:
    """The customers whose phone and e-mail (and their contacts') the viewer reads in full,
    as a filter over Customer (None: every one): what a search may match those details on,
    lest it tell a masked number digit by digit. `masks_contact_details` decides, pool by
    pool (a customer's `pool_id` NULL is the workspace's default pool)."""
    scope = await scope_of(viewer)
    if scope.sees_all:
        return None
    pools = await CustomerPool.filter(workspace_id=viewer.workspace_id)
    default = next((pool for pool in pools if pool.is_default), None)
    shown = [pool.id for pool in pools if not masks_contact_details(scope, None, pool)]
    readable = Q(owner_id__isnull=False) | Q(pool_id__in=shown)
    if not masks_contact_details(scope, None, default):
        readable |= Q(pool_id=None)
    return readable
