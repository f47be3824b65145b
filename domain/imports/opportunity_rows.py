"""Opportunity imports: deals created in, or moved through, their pipeline's stages.

Each row names its customer, and its pipeline and stage by name (the default pipeline
and its first open stage when it does not). A deal is created as `createOpportunity`
creates one (its first StageChange; closed when it lands in a WON or LOST stage) and
changed as `updateOpportunity` and `moveOpportunity` change one (a forward move waits
for the current stage's required checklist items; the amount of a deal quoted in lines
is their sum). Rows match stored deals, and deals earlier rows created, by `externalId`
or by customer and name within the pipeline. A constant number of statements per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from domain.bulk_sql import allocate_ids, insert_rows, python_values
from domain.custom_fields import Definitions, clean_custom_fields, load_definitions
from domain.errors import ErrorCode, Problems
from domain.exact_updates import set_columns
from domain.imports.cells import (
    Cells,
    ChunkResult,
    check_external_id,
    check_match_on,
    fail,
    fail_with,
    given,
    skipped_by_mode,
    typed_custom_fields,
)
from domain.imports.file_keys import FileKeys, find_records, keep_records, load_records
from domain.imports.links import CustomerLinks, LinkedCustomer, Members
from domain.imports.matches import Matches, Record, overwrites
from domain.imports.moments import parse_day
from domain.imports.values import parse_amount, parse_percentage
from domain.opportunities import (
    AMOUNT_IS_LINE_SUM,
    NO_PIPELINE,
    default_owner,
    quoted_in_other_currency,
)
from domain.pipelines import PROBABILITY_RANGE, closing_fields, status_for
from domain.sql import any_of, fetch, for_update, list_parameter, placeholder
from domain.stages import stage_move_problems
from domain.validation import check_currency, check_money, check_name, check_optional
from domain.viewer import Viewer
from models import (
    ChecklistItem,
    LineItem,
    Opportunity,
    OpportunityChecklistState,
    Pipeline,
    Stage,
    StageChange,
    Workspace,
)
from models.enums import CustomFieldEntity, ImportKind, ImportMode, OpportunityStatus, StageKind

_COLUMNS = (
    "customer_id",
    "pipeline_id",
    "stage_id",
    "name",
    "status",
    "amount",
    "currency",
    "probability_override",
    "expected_close_date",
    "owner_id",
    "custom_fields",
    "stage_entered_at",
    "closed_at",
    "lost_reason",
    "external_id",
)

NameKey = tuple[int, int, str]  # customer, pipeline, name in lower case
# A column → the field a file calls it, in row errors.
_SHOWN = {
    "expected_close_date": "expectedCloseDate",
    "probability_override": "probability",
    "owner_id": "owner",
    "external_id": "externalId",
}


@dataclass(eq=False)
class _Deal(Record):
    """A deal rows may match; `values` holds every column of _COLUMNS."""

    done_items: set[int] = field(default_factory=set)  # its checklist items ticked off
    line_currencies: list[str | None] = field(default_factory=list)  # one per quoted line

    def name_key(self) -> NameKey:
        v = self.values
        return (v["customer_id"], v["pipeline_id"], v["name"].lower())


@dataclass
class _Parsed:
    number: int
    problems: Problems
    customer: LinkedCustomer | None
    present: dict[str, str]
    values: dict[str, Any]  # the columns the cells give
    custom: dict[str, Any]
    pipeline_id: int | None  # the pipeline the row names, if any

    def in_pipeline(self, default_id: int | None) -> int | None:
        """The pipeline the row names, else the default one. A pipeline the row names but
        the workspace lacks was reported: then None, nothing to match in."""
        return self.pipeline_id if "pipeline" in self.present else default_id

    def name_key(self, pipeline_id: int | None) -> NameKey | None:
        if self.customer is None or pipeline_id is None or "name" not in self.values:
            return None
        return (self.customer.id, pipeline_id, self.values["name"].lower())


class _SalesProcess:
    """The workspace's pipelines and stages (archived ones too), loaded once per chunk."""

    def __init__(self, pipelines: list[dict[str, Any]], stages: list[Stage]) -> None:
        self.pipelines = pipelines
        self.default_id = next((p["id"] for p in pipelines if p["is_default"]), None)
        self.stages = {stage.id: stage for stage in stages}
        self.required: dict[int, list[ChecklistItem]] = {}
        # Each pipeline's live stages in order, and by name in lower case (of two with one
        # name, the first): the stage a row names is one lookup, not a scan of them all.
        self._live: dict[int, list[Stage]] = {}
        self._live_by_name: dict[int, dict[str, Stage]] = {}
        for stage in stages:
            if stage.archived_at is None:
                self._live.setdefault(stage.pipeline_id, []).append(stage)
                named = self._live_by_name.setdefault(stage.pipeline_id, {})
                named.setdefault(stage.name.lower(), stage)

    @classmethod
    async def load(cls, viewer: Viewer) -> _SalesProcess:
        pipelines = (
            await Pipeline.filter(workspace_id=viewer.workspace_id)
            .order_by("id")
            .values("id", "name", "is_default")
        )
        stages = await Stage.filter(workspace_id=viewer.workspace_id).order_by("position", "id")
        return cls(pipelines, stages)

    async def load_checklists(self, viewer: Viewer) -> None:
        items = await ChecklistItem.filter(
            workspace_id=viewer.workspace_id, required=True
        ).order_by("position", "id")
        for item in items:
            self.required.setdefault(item.stage_id, []).append(item)

    def pipeline(self, problems: Problems, text: str) -> int | None:
        found = [p["id"] for p in self.pipelines if p["name"].lower() == text.lower()]
        if not found:
            names = ", ".join(f"“{p['name']}”" for p in self.pipelines)
            problems.add(
                "pipeline", f"“{text}” is not a pipeline: use {names}.", ErrorCode.NOT_FOUND
            )
            return None
        return found[0]

    def live(self, pipeline_id: int) -> list[Stage]:
        return self._live.get(pipeline_id, [])

    def stage(self, problems: Problems, pipeline_id: int, text: str) -> Stage | None:
        found = self._live_by_name.get(pipeline_id, {}).get(text.lower())
        if found is not None:
            return found
        # The row fails: what it names, and what it could name instead.
        live = self.live(pipeline_id)
        pipeline = next(p["name"] for p in self.pipelines if p["id"] == pipeline_id)
        archived = any(
            s.pipeline_id == pipeline_id and s.name.lower() == text.lower()
            for s in self.stages.values()
        )
        what = "was removed from" if archived else "is not a stage of"
        names = ", ".join(f"“{s.name}”" for s in live)
        problems.add("stage", f"“{text}” {what} “{pipeline}”: use {names}.", ErrorCode.NOT_FOUND)
        return None

    def first_open(self, pipeline_id: int) -> Stage | None:
        return next((s for s in self.live(pipeline_id) if s.kind == StageKind.OPEN), None)


def _parse(
    number: int,
    cells: Cells,
    definitions: Definitions,
    links: CustomerLinks,
    members: Members,
    process: _SalesProcess,
) -> _Parsed:
    problems = Problems()
    customer = links.find(problems, cells)
    present = given(cells)
    values: dict[str, Any] = {}
    if "name" in present:
        values["name"] = check_name(problems, "name", present["name"])
    if "amount" in present:
        amount, message = parse_amount(present["amount"])
        if message:
            problems.add("amount", message)
        else:
            values["amount"] = check_money(problems, "amount", amount)
    if "currency" in present:
        values["currency"] = check_currency(problems, "currency", present["currency"], "XXX")
    if "expectedCloseDate" in present:
        day, message = parse_day(present["expectedCloseDate"])
        if message:
            problems.add("expectedCloseDate", message)
        else:
            values["expected_close_date"] = day
    if "probability" in present:
        probability, message = parse_percentage(present["probability"])
        if message is None and probability is not None and not 0 <= probability <= 100:
            message = PROBABILITY_RANGE
        if message:
            problems.add("probability", message)
        else:
            values["probability_override"] = probability
    if "owner" in present:
        owner_id = members.find(problems, "owner", present["owner"])
        if owner_id is not None:
            values["owner_id"] = owner_id
    external_id = check_optional(problems, "externalId", present.get("externalId"), 200)
    if external_id is not None:
        values["external_id"] = external_id
    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.OPPORTUNITY)
    pipeline_id = process.pipeline(problems, present["pipeline"]) if "pipeline" in present else None
    return _Parsed(number, problems, customer, present, values, custom, pipeline_id)


async def _load_matches(
    viewer: Viewer,
    parsed: list[_Parsed],
    match_on: list[str],
    file: FileKeys | None,
    default_pipeline: int | None,
    *,
    lock: bool,
) -> Matches[_Deal, NameKey]:
    """The stored deals rows may match: by external id (also to keep new ones free) and,
    when matching on "name", the linked customers' deals, in one query; then what the
    checks of an update need, for those deals only: checklist ticks, quoted lines.

    `lock`: the deals are held (FOR UPDATE on PostgreSQL; SQLite has one writer) until the
    chunk commits, as the rows may change them, so that an edit committed meanwhile is not
    overwritten by the custom fields merged into here."""
    external_ids = sorted(
        {row.values["external_id"] for row in parsed if "external_id" in row.values}
    )
    customer_ids = sorted({row.customer.id for row in parsed if row.customer is not None})
    keys = [("externalId", key) for key in external_ids] + [
        ("name", row.name_key(row.in_pipeline(default_pipeline))) for row in parsed
    ]
    found = await _stored_deals(
        viewer,
        external_ids,
        customer_ids if "name" in match_on else [],
        await find_records(file, keys),
        lock=lock,
    )
    deals = {pk: _Deal(values, stored=pk) for pk, values in found.items()}
    if deals and any("stage" in row.present for row in parsed):
        done = await OpportunityChecklistState.filter(
            opportunity_id__in=list(deals), done=True
        ).values("opportunity_id", "item_id")
        for state in done:
            deals[state["opportunity_id"]].done_items.add(state["item_id"])
    if deals and any({"amount", "currency"} & row.present.keys() for row in parsed):
        lines = await LineItem.filter(opportunity_id__in=list(deals)).values(
            "opportunity_id", "product__currency"
        )
        for line in lines:
            deals[line["opportunity_id"]].line_currencies.append(line["product__currency"])
    would_create: list[_Deal] = []
    if file is not None:
        would_create = await load_records(file, Opportunity, deals, _Deal)
    return Matches(
        "name",
        _Deal.name_key,
        [*deals.values(), *would_create],
        what="deal",
        name_of=lambda d: d.values["name"],
    )


_SELECT_DEALS = 'SELECT "id", ' + ", ".join(f'"{column}"' for column in _COLUMNS)


async def _stored_deals(
    viewer: Viewer, external_ids: list[str], customer_ids: list[int], ids: list[int], *, lock: bool
) -> dict[int, dict[str, Any]]:
    """The columns of the workspace's deals with one of `external_ids`, of one of
    `customer_ids` or one of `ids` (that a dry run's earlier chunks gave a key), by id,
    oldest first.

    ONE statement, in id order: PostgreSQL locks the rows in the order it returns them, so
    two chunks that lock some of the same deals (two imports at once) take them in the same
    order, and one waits for the other instead of each for the other (a deadlock). Two
    statements, each locking its share in order, would not promise that."""
    db = Opportunity._meta.db
    params: list[Any] = [viewer.workspace_id]
    alternatives = []
    for column, sql_type, keys in (
        ("external_id", "TEXT", external_ids),
        ("customer_id", "BIGINT", customer_ids),
        ("id", "BIGINT", ids),
    ):
        if keys:
            params.append(list_parameter(db, keys))
            alternatives.append(any_of(db, f'"{column}"', len(params), sql_type))
    if not alternatives:
        return {}
    rows = await fetch(
        db,
        f'{_SELECT_DEALS} FROM "opportunity" WHERE "workspace_id" = {placeholder(db, 1)} '
        f'AND ({" OR ".join(alternatives)}) ORDER BY "id"' + for_update(db, lock),
        params,
    )
    convert = python_values(Opportunity, _COLUMNS)
    return {row[0]: convert(row[1:]) for row in rows}


@dataclass
class _Chunk:
    """What the chunk knows while it plans, and what it will write."""

    viewer: Viewer
    process: _SalesProcess
    definitions: Definitions
    default_currency: str
    now: datetime
    stage_changes: list[tuple[_Deal, int | None, int]] = field(default_factory=list)


async def apply_opportunity_rows(
    viewer: Viewer,
    rows: list[tuple[int, Cells]],
    *,
    mode: ImportMode,
    match_on: list[str],
    file: FileKeys | None = None,
) -> ChunkResult:
    """Creates, updates or skips each row's deal; call inside a transaction. `file`: what
    earlier chunks of the file did (see `file_keys`)."""
    check_match_on(ImportKind.OPPORTUNITIES, match_on)
    result = ChunkResult()
    if not rows:
        return result
    cells_list = [cells for _, cells in rows]
    definitions = await load_definitions(viewer)
    # Tortoise types a flat values_list as tuples; it gives the column's value.
    currency = cast(
        str | None,
        await Workspace.filter(id=viewer.workspace_id)
        .first()
        .values_list("default_currency", flat=True),
    )
    links = await CustomerLinks.load(viewer, cells_list)
    members = await Members.load(viewer, cells_list, "owner")
    process = await _SalesProcess.load(viewer)
    parsed = [_parse(number, cells, definitions, links, members, process) for number, cells in rows]
    if any("stage" in row.present for row in parsed):
        await process.load_checklists(viewer)  # what a move forward must have done
    # Rows that match are changed (but in CREATE mode): locked as they are read.
    matches = await _load_matches(
        viewer, parsed, match_on, file, process.default_id, lock=mode != ImportMode.CREATE
    )
    chunk = _Chunk(viewer, process, definitions, currency or "CNY", datetime.now(UTC))

    for row in parsed:
        if row.customer is None:
            fail(result, row.number, row.problems)
            continue
        pipeline_id = row.in_pipeline(process.default_id)
        found = matches.find(match_on, row.values.get("external_id"), row.name_key(pipeline_id))
        if found.problem is not None:
            fail_with(result, row.number, row.problems, found.problem)
            continue
        target = found.record
        if skipped_by_mode(mode, target is not None):
            result.skipped += 1
            if found.key is not None:
                result.matched_by[found.key] += 1
            continue
        problems = row.problems
        moves: list[tuple[_Deal, int | None, int]] = []
        gave = dict(row.values)
        if "stage" in row.present:
            gave["stage"] = row.present["stage"].lower()
        if target is None:
            target = await _plan_create(chunk, row, problems, pipeline_id, moves)
            changes = target.values
        else:
            problems.extend(overwrites(target.given, gave, row.custom, "deal", _SHOWN))
            changes = await _plan_update(chunk, row, target, problems, moves)
        check_external_id(
            problems, changes.get("external_id"), target, matches.by_external_id, "deal"
        )
        if problems.items:
            fail(result, row.number, problems)
            continue
        if matches.land(target, changes, row.number, gave, row.custom):
            result.created += 1
        else:
            result.updated += 1
            result.matched_by[found.key or ""] += 1
        chunk.stage_changes.extend(moves)

    await _write(chunk, matches.created, matches.records())
    if file is not None:
        keep_records(file, matches)
    return result


async def _plan_create(
    chunk: _Chunk,
    row: _Parsed,
    problems: Problems,
    pipeline_id: int | None,
    moves: list[tuple[_Deal, int | None, int]],
) -> _Deal:
    assert row.customer is not None
    values = dict.fromkeys(_COLUMNS) | row.values
    values["customer_id"] = row.customer.id
    if "name" not in row.present:
        problems.add("name", "Must not be blank.", ErrorCode.REQUIRED)
        values["name"] = ""
    stage = _stage_of(chunk, row, problems, pipeline_id)
    if stage is None and "stage" not in row.present and pipeline_id is not None:
        problems.add("stage", "The pipeline has no open stage.", ErrorCode.NOT_FOUND)
    values["custom_fields"] = await clean_custom_fields(
        problems,
        chunk.viewer,
        CustomFieldEntity.OPPORTUNITY,
        row.custom,
        existing=None,
        path="customFields",
        definitions=chunk.definitions,
    )
    if values["amount"] is None:
        values["amount"] = Decimal(0)
    if values["currency"] is None:
        values["currency"] = chunk.default_currency
    values["owner_id"] = default_owner(values["owner_id"], chunk.viewer, row.customer.owner_id)
    deal = _Deal(values)
    if stage is not None:
        status = status_for(stage.kind)
        values.update(
            pipeline_id=stage.pipeline_id,
            stage_id=stage.id,
            status=status,
            stage_entered_at=chunk.now,
            closed_at=None if status == OpportunityStatus.OPEN else chunk.now,
        )
        moves.append((deal, None, stage.id))
    return deal


def _stage_of(
    chunk: _Chunk, row: _Parsed, problems: Problems, pipeline_id: int | None
) -> Stage | None:
    """The stage the row names in the pipeline, or for a new deal the first open one."""
    if pipeline_id is None:
        if "pipeline" not in row.present:
            problems.add("pipeline", NO_PIPELINE, ErrorCode.REQUIRED)
        return None
    if "stage" in row.present:
        return chunk.process.stage(problems, pipeline_id, row.present["stage"])
    return chunk.process.first_open(pipeline_id)


async def _plan_update(
    chunk: _Chunk,
    row: _Parsed,
    target: _Deal,
    problems: Problems,
    moves: list[tuple[_Deal, int | None, int]],
) -> dict[str, Any]:
    assert row.customer is not None
    current = target.values
    if current["customer_id"] != row.customer.id:
        problems.add(
            row.customer.field,
            "This deal belongs to another customer; an import does not move it.",
            ErrorCode.CONFLICT,
        )
    if row.pipeline_id is not None and row.pipeline_id != current["pipeline_id"]:
        problems.add(
            "pipeline",
            "The deal is in another pipeline; an import does not move it there.",
            ErrorCode.CONFLICT,
        )
    changes = {column: value for column, value in row.values.items() if current[column] != value}
    if row.custom:
        changes["custom_fields"] = await clean_custom_fields(
            problems,
            chunk.viewer,
            CustomFieldEntity.OPPORTUNITY,
            row.custom,
            existing=current["custom_fields"],
            path="customFields",
            definitions=chunk.definitions,
        )
    if "amount" in changes and target.line_currencies:
        problems.add("amount", AMOUNT_IS_LINE_SUM, ErrorCode.CONFLICT)
    if "currency" in changes:
        other = [c for c in target.line_currencies if c is not None and c != changes["currency"]]
        if other:
            problems.add(
                "currency",
                quoted_in_other_currency(other[0]),
                ErrorCode.CONFLICT,
            )
    if "stage" in row.present:
        stage = chunk.process.stage(problems, current["pipeline_id"], row.present["stage"])
        if stage is not None and stage.id != current["stage_id"]:
            changes |= _move(chunk, target, stage, problems)
            moves.append((target, current["stage_id"], stage.id))
    return changes


def _move(chunk: _Chunk, deal: _Deal, target: Stage, problems: Problems) -> dict[str, Any]:
    """The changes of a move to `target`, as `moveOpportunity` makes them."""
    current = chunk.process.stages[deal.values["stage_id"]]
    required = chunk.process.required.get(current.id, [])
    for problem in stage_move_problems(current, target, required, deal.done_items):
        problems.add("stage", problem.message, problem.code)
    changes = closing_fields(current.kind, target.kind, chunk.now)
    return {"stage_id": target.id, "stage_entered_at": chunk.now, **changes}


async def _write(chunk: _Chunk, created: list[_Deal], matched: list[_Deal]) -> None:
    db = Opportunity._meta.db
    viewer, now = chunk.viewer, chunk.now
    if created:
        ids = await allocate_ids(db, Opportunity, len(created))
        for pk, deal in zip(ids, created, strict=True):
            deal.values["id"] = pk
            deal.values["workspace_id"] = viewer.workspace_id
        await insert_rows(db, Opportunity, [deal.values for deal in created], now)
    changed = {deal.stored: deal for deal in matched if deal.stored is not None and deal.changed}
    columns = sorted({column for deal in changed.values() for column in deal.changed})
    await set_columns(
        Opportunity,
        {pk: deal.values | {"updated_at": now} for pk, deal in changed.items()},
        [*columns, "updated_at"] if columns else [],
    )
    await insert_rows(
        db,
        StageChange,
        [
            {
                "workspace_id": viewer.workspace_id,
                "opportunity_id": deal.stored or deal.values["id"],
                "from_stage_id": from_stage,
                "to_stage_id": to_stage,
                "changed_at": now,
                "changed_by_id": viewer.user_id,
            }
            for deal, from_stage, to_stage in chunk.stage_changes
            if not deal.unwritten
        ],
        now,
    )
