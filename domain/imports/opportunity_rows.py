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

from domain.bulk_sql import insert_rows, python_values
from domain.custom_fields import Definitions, load_definitions
from domain.errors import ErrorCode, Problems
from domain.imports.cells import Cells, given, typed_custom_fields
from domain.imports.engine import (
    NumberedCells,
    RecordChunk,
    Row,
    Spec,
    record_matches,
)
from domain.imports.file_keys import FileKeys
from domain.imports.headers import CUSTOMER_LINK_WITH_PHONE, Aliases
from domain.imports.links import CustomerLinks, Members
from domain.imports.matches import Matches, Record
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


@dataclass(eq=False)
class _Deal(Record):
    """A deal rows may match; `values` holds every column of _COLUMNS."""

    done_items: set[int] = field(default_factory=set)  # its checklist items ticked off
    line_currencies: list[str | None] = field(default_factory=list)  # one per quoted line

    def name_key(self) -> NameKey:
        v = self.values
        return (v["customer_id"], v["pipeline_id"], v["name"].lower())


@dataclass
class _Parsed(Row):
    pipeline_id: int | None = None  # the pipeline the row names, if any

    def in_pipeline(self, default_id: int | None) -> int | None:
        """The pipeline the row names, else the default one. A pipeline the row names but
        the workspace lacks was reported: then None, nothing to match in."""
        return self.pipeline_id if "pipeline" in self.present else default_id


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
    members.put(problems, present, "owner", values, "owner_id")
    external_id = check_optional(problems, "externalId", present.get("externalId"), 200)
    if external_id is not None:
        values["external_id"] = external_id
    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.OPPORTUNITY)
    pipeline_id = process.pipeline(problems, present["pipeline"]) if "pipeline" in present else None
    row = _Parsed(number, problems, values, custom, {}, present, customer, pipeline_id=pipeline_id)
    in_pipeline = row.in_pipeline(process.default_id)
    if customer is not None and in_pipeline is not None and "name" in values:
        row.keys["name"] = (customer.id, in_pipeline, values["name"].lower())
    row.gave = values | {"stage": present["stage"].lower()} if "stage" in present else None
    return row


async def _open(
    viewer: Viewer,
    rows: NumberedCells,
    *,
    mode: ImportMode,
    match_on: list[str],
    file: FileKeys | None,
) -> _Chunk:
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
    matches = await _load_matches(viewer, parsed, match_on, file, lock=mode != ImportMode.CREATE)
    return _Chunk(parsed, viewer, process, definitions, currency or "CNY", matches)


async def _load_matches(
    viewer: Viewer, parsed: list[_Parsed], match_on: list[str], file: FileKeys | None, *, lock: bool
) -> Matches[_Deal]:
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
        ("name", row.keys.get("name")) for row in parsed
    ]
    found = await _stored_deals(
        viewer,
        external_ids,
        customer_ids if "name" in match_on else [],
        [] if file is None else await file.find(keys),
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
    return await record_matches(
        file,
        Opportunity,
        deals,
        _Deal,
        lambda deal: {"name": deal.name_key()},
        "deal",
        lambda deal: deal.values["name"],
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


class _Chunk(RecordChunk[_Deal]):
    """What the chunk knows while it plans, and what it will write."""

    def __init__(
        self,
        rows: list[_Parsed],
        viewer: Viewer,
        process: _SalesProcess,
        definitions: Definitions,
        default_currency: str,
        matches: Matches[_Deal],
    ) -> None:
        super().__init__(SPEC, list(rows))
        self.viewer, self.process, self.definitions = viewer, process, definitions
        self.default_currency, self.matches = default_currency, matches
        self.now = datetime.now(UTC)
        self.stage_changes: list[tuple[_Deal, int | None, int]] = []
        self.moves: list[tuple[_Deal, int | None, int]] = []  # the row's, once it lands

    async def create(self, row: Row, problems: Problems) -> tuple[_Deal, dict[str, Any]]:
        assert isinstance(row, _Parsed) and row.customer is not None
        self.moves = []
        values = dict.fromkeys(_COLUMNS) | row.values
        values["customer_id"] = row.customer.id
        if "name" not in row.present:
            problems.add("name", "Must not be blank.", ErrorCode.REQUIRED)
            values["name"] = ""
        pipeline_id = row.in_pipeline(self.process.default_id)
        stage = self._stage_of(row, problems, pipeline_id)
        if stage is None and "stage" not in row.present and pipeline_id is not None:
            problems.add("stage", "The pipeline has no open stage.", ErrorCode.NOT_FOUND)
        values["custom_fields"] = await self.custom_fields(row, problems)
        if values["amount"] is None:
            values["amount"] = Decimal(0)
        if values["currency"] is None:
            values["currency"] = self.default_currency
        values["owner_id"] = default_owner(values["owner_id"], self.viewer, row.customer.owner_id)
        deal = _Deal(values)
        if stage is not None:
            status = status_for(stage.kind)
            values.update(
                pipeline_id=stage.pipeline_id,
                stage_id=stage.id,
                status=status,
                stage_entered_at=self.now,
                closed_at=None if status == OpportunityStatus.OPEN else self.now,
            )
            self.moves.append((deal, None, stage.id))
        return deal, values

    def _stage_of(self, row: _Parsed, problems: Problems, pipeline_id: int | None) -> Stage | None:
        """The stage the row names in the pipeline, or for a new deal the first open one."""
        if pipeline_id is None:
            if "pipeline" not in row.present:
                problems.add("pipeline", NO_PIPELINE, ErrorCode.REQUIRED)
            return None
        if "stage" in row.present:
            return self.process.stage(problems, pipeline_id, row.present["stage"])
        return self.process.first_open(pipeline_id)

    async def update(self, row: Row, target: _Deal, problems: Problems) -> dict[str, Any]:
        assert isinstance(row, _Parsed)
        self.moves = []
        current = target.values
        changes = self.changes(row, target, problems)
        if row.pipeline_id is not None and row.pipeline_id != current["pipeline_id"]:
            problems.add(
                "pipeline",
                "The deal is in another pipeline; an import does not move it there.",
                ErrorCode.CONFLICT,
            )
        if row.custom:
            changes["custom_fields"] = await self.custom_fields(row, problems, target)
        if "amount" in changes and target.line_currencies:
            problems.add("amount", AMOUNT_IS_LINE_SUM, ErrorCode.CONFLICT)
        if "currency" in changes:
            other = [c for c in target.line_currencies if c not in (None, changes["currency"])]
            if other:
                problems.add("currency", quoted_in_other_currency(other[0]), ErrorCode.CONFLICT)
        if "stage" in row.present:
            stage = self.process.stage(problems, current["pipeline_id"], row.present["stage"])
            if stage is not None and stage.id != current["stage_id"]:
                changes |= self._move(target, stage, problems)
                self.moves.append((target, current["stage_id"], stage.id))
        return changes

    def _move(self, deal: _Deal, target: Stage, problems: Problems) -> dict[str, Any]:
        """The changes of a move to `target`, as `moveOpportunity` makes them."""
        current = self.process.stages[deal.values["stage_id"]]
        required = self.process.required.get(current.id, [])
        for problem in stage_move_problems(current, target, required, deal.done_items):
            problems.add("stage", problem.message, problem.code)
        changes = closing_fields(current.kind, target.kind, self.now)
        return {"stage_id": target.id, "stage_entered_at": self.now, **changes}

    def land(self, row: Row, target: _Deal, changes: dict[str, Any]) -> bool:
        self.stage_changes.extend(self.moves)
        return super().land(row, target, changes)

    async def write(self) -> None:
        viewer, now = self.viewer, self.now
        await self.write_records(Opportunity, now, updated_at=now)
        db = StageChange._meta.db
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
                for deal, from_stage, to_stage in self.stage_changes
                if not deal.unwritten
            ],
            now,
        )


# Each field → the headers it is recognised by, beside its own name (see `headers`).
_FIELDS: Aliases = {
    "name": (
        "商机名称",
        "机会名称",
        "项目名称",
        "商机",
        "名称",
        "name",
        "opportunity",
        "opportunity name",
        "deal",
        "deal name",
        "deal - title",
    ),
    "pipeline": ("销售流程", "流程", "pipeline", "deal - pipeline"),
    "stage": ("阶段", "销售阶段", "商机阶段", "stage", "deal stage", "deal - stage"),
    "amount": ("金额", "商机金额", "预计金额", "amount", "value", "deal - value"),
    "currency": ("币种", "货币", "currency", "deal - currency", "opportunity currency"),
    "expectedCloseDate": (
        "预计成交日期",
        "预计成交时间",
        "预计签单日期",
        "expected close date",
        "close date",
        "deal - expected close date",
    ),
    "owner": ("负责人", "销售", "owner", "deal owner", "opportunity owner", "deal - owner"),
    "probability": (
        "赢率",
        "成交概率",
        "概率",
        "probability",
        "probability (%)",
        "win probability",
        "deal - probability",
    ),
    "externalId": (
        "外部编号",
        "商机编号",
        "编号",
        "external id",
        "id",
        "record id",
        "opportunity id",
        "deal id",
        "deal - id",
    ),
    **CUSTOMER_LINK_WITH_PHONE,
}


SPEC = Spec(
    kind=ImportKind.OPPORTUNITIES,
    record="deal",
    a_record="an opportunity",
    fields=_FIELDS,
    # An opportunity's "name" is the same customer and name in the same pipeline.
    match_fields=("externalId", "name"),
    default_match_on=("externalId", "name"),
    entity=CustomFieldEntity.OPPORTUNITY,
    open=_open,
    growing=("opportunity", "stage_change"),
    new_record_needs=(("name",),),
    linked=True,
    shown={
        "expected_close_date": "expectedCloseDate",
        "probability_override": "probability",
        "owner_id": "owner",
        "external_id": "externalId",
    },
)
apply_opportunity_rows = SPEC.apply
