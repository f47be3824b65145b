"""A customer's timeline: its activities, its deals' stage changes and the field changes of
it, its contacts and its deals, merged newest first, a page for many customers at once.

One windowed statement ranks the three kinds together (only their ids, kinds and instants),
then one statement per kind present on the pages reads the rows themselves: a page of
customers with their timelines costs at most four statements, whatever the page size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tortoise.models import Model

from api.core.loaders import PageKey
from api.core.windows import ChildPage
from domain.sql import Sql
from models import Activity, FieldChange, StageChange
from models.enums import ChangedEntity

TOLD_BY_STAGE_CHANGES = ("stage", "status")

# The kinds of entry, by the letter the statement gives them (on one instant, in this order).
KINDS: dict[str, type[Model]] = {"A": Activity, "S": StageChange, "F": FieldChange}


def _ranked(sql: Sql, workspace_id: int, customer_ids: Sequence[int]) -> str:
    """The entries of the customers: customer id, kind, id and instant of each. (Values are
    bound in the order the text names them: SQLite's placeholders are positional.)"""
    activities = (
        f"SELECT a.customer_id AS customer_id, 'A' AS kind, a.id AS id, "
        f"{sql.instant('a.occurred_at')} AS at FROM activity a "
        f"WHERE a.workspace_id = {sql.bind(workspace_id)} "
        f"AND {sql.among('a.customer_id', customer_ids)}"
    )
    moves = (
        f"SELECT o.customer_id, 'S', s.id, {sql.instant('s.changed_at')} "
        f"FROM stage_change s JOIN opportunity o ON o.id = s.opportunity_id "
        f"WHERE s.workspace_id = {sql.bind(workspace_id)} "
        f"AND {sql.among('o.customer_id', customer_ids)}"
    )
    # A deal's stage (and the status it implies) is told by its stage changes, once.
    changes = (
        f"SELECT f.customer_id, 'F', f.id, {sql.instant('f.changed_at')} "
        f"FROM field_change f "
        f"WHERE f.workspace_id = {sql.bind(workspace_id)} "
        f"AND {sql.among('f.customer_id', customer_ids)} "
        f"AND NOT (f.entity = {sql.bind(ChangedEntity.OPPORTUNITY.value)} "
        f"AND f.field IN ({', '.join(sql.bind(field) for field in TOLD_BY_STAGE_CHANGES)}))"
    )
    return f"{activities} UNION ALL {moves} UNION ALL {changes}"


async def timeline_pages(
    workspace_id: int, customer_ids: Sequence[int], limit: int, offset: int
) -> dict[int, ChildPage[Any]]:
    """Each customer's page of `limit` entries after `offset`, newest first."""
    sql = Sql(FieldChange._meta.db)
    entries = _ranked(sql, workspace_id, customer_ids)
    low, high = sql.bind(offset), sql.bind(offset + limit + 1)
    statement = (
        "SELECT customer_id, kind, id, _rn, _total FROM (SELECT e.*, "
        "ROW_NUMBER() OVER (PARTITION BY e.customer_id "
        "ORDER BY e.at DESC, e.kind ASC, e.id DESC) AS _rn, "
        "COUNT(*) OVER (PARTITION BY e.customer_id) AS _total "
        f"FROM ({entries}) e) w "
        # Row 1 always comes along: it carries the total even for a page past the end.
        f"WHERE (w._rn > {low} AND w._rn <= {high}) OR w._rn = 1 "
        "ORDER BY w.customer_id, w._rn"
    )
    rows = await sql.dicts(statement)
    wanted: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row["_rn"] > offset:
            wanted[row["kind"]].append(row["id"])
    loaded: dict[tuple[str, int], Model] = {}
    for kind, ids in wanted.items():
        for record in await KINDS[kind].filter(id__in=ids, workspace_id=workspace_id):
            loaded[(kind, record.pk)] = record
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["customer_id"]].append(row)
    pages: dict[int, ChildPage[Any]] = {}
    for customer_id in customer_ids:
        found = grouped.get(customer_id, [])
        in_page = [row for row in found if row["_rn"] > offset]
        pages[customer_id] = ChildPage(
            rows=[loaded[(row["kind"], row["id"])] for row in in_page[:limit]],
            offset=offset,
            has_more=len(in_page) > limit,
            total=int(found[0]["_total"]) if found else 0,
        )
    return pages


async def load_timelines(workspace_id: int, keys: Sequence[PageKey]) -> list[ChildPage[Any]]:
    """The pages `keys` ask for; keys of one page shape share one statement."""
    shapes: dict[tuple[int, int], list[int]] = defaultdict(list)
    for customer_id, limit, offset, _ in keys:
        shapes[(limit, offset)].append(customer_id)
    results: dict[tuple[int, int, int], ChildPage[Any]] = {}
    for (limit, offset), customer_ids in shapes.items():
        unique = list(dict.fromkeys(customer_ids))
        for customer_id, page in (
            await timeline_pages(workspace_id, unique, limit, offset)
        ).items():
            results[(customer_id, limit, offset)] = page
    return [results[(customer_id, limit, offset)] for customer_id, limit, offset, _ in keys]
