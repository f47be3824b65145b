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
from typing import Any

from domain.bulk_sql import insert_rows
from domain.custom_fields import Definitions, load_definitions
from domain.errors import ErrorCode, Problems
from domain.imports.cells import Cells, given, put, typed_custom_fields
from domain.imports.engine import (
    Opening,
    RecordChunk,
    Row,
    Spec,
    history_of,
    model_columns,
    record_matches,
    stored_values,
)
from domain.imports.headers import CUSTOMER_LINK_WITH_PHONE, Aliases
from domain.imports.links import CustomerLinks, Members
from domain.imports.matches import Keys, Matches, Record
from domain.imports.values import parse_amount, parse_day, parse_percentage
from domain.opportunities import (
    AMOUNT_IS_LINE_SUM,
    NO_PIPELINE,
    check_line_currencies,
    default_owner,
)
from domain.pipelines import PROBABILITY_RANGE, closing_fields, status_for
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
from models.enums import ChangedEntity, CustomFieldEntity, ImportKind, OpportunityStatus, StageKind

# Every column of a deal rows may match: its record's `values` (all a row may read or write).
_COLUMNS = model_columns(
    Opportunity, leaving_out=("id", "workspace_id", "created_at", "updated_at", "last_activity_at")
)


@dataclass(eq=False)
class _Deal(Record):
    done_items: set[int] = field(default_factory=set)  # its checklist items ticked off
    line_currencies: list[str | None] = field(default_factory=list)  # one per quoted line

    def name_key(self) -> Keys:  # its customer, pipeline, and name in lower case
        v = self.values
        return {"name": (v["customer_id"], v["pipeline_id"], v["name"].lower())}


@dataclass
class _Parsed(Row):
    pipeline_id: int | None = None  # the pipeline the row names, if any
    # The pipeline the row names, else the default one. A pipeline the row names but the
    # workspace lacks was reported: then None, nothing to match in.
    in_pipeline: int | None = None


class _SalesProcess:
    """The workspace's pipelines and stages (archived ones too), loaded once per chunk."""

    def __init__(self, pipelines: list[dict[str, Any]], stages: list[Stage]) -> None:
        self.pipelines = pipelines
        self.default_id = next((p["id"] for p in pipelines if p["is_default"]), None)
        self.stages = {stage.id: stage for stage in stages}
        self.required: dict[int, list[ChecklistItem]] = {}  # a stage's, when a row moves
        # Each pipeline's live stages in order, and its stages by name in lower case (the
        # first live one, else an archived one): what a row names is one lookup, not a scan.
        self.live: dict[int, list[Stage]] = {}
        self._by_name: dict[tuple[int, str], Stage] = {}
        for stage in sorted(stages, key=lambda stage: stage.archived_at is not None):
            self._by_name.setdefault((stage.pipeline_id, stage.name.lower()), stage)
            if stage.archived_at is None:
                self.live.setdefault(stage.pipeline_id, []).append(stage)

    @classmethod
    async def load(cls, viewer: Viewer, rows: list[Cells]) -> _SalesProcess:
        """When some row names a stage, with the required items a move forward must have done."""
        scope = {"workspace_id": viewer.workspace_id}
        pipelines = await Pipeline.filter(**scope).order_by("id").values("id", "name", "is_default")
        process = cls(pipelines, await Stage.filter(**scope).order_by("position", "id"))
        if any(cells.get("stage") is not None for cells in rows):
            items = ChecklistItem.filter(**scope, required=True).order_by("position", "id")
            for item in await items:
                process.required.setdefault(item.stage_id, []).append(item)
        return process

    def pipeline(self, problems: Problems, text: str) -> int | None:
        found = next((p["id"] for p in self.pipelines if p["name"].lower() == text.lower()), None)
        if found is None:
            names = ", ".join(f"“{p['name']}”" for p in self.pipelines)
            problems.add(
                "pipeline", f"“{text}” is not a pipeline: use {names}.", ErrorCode.NOT_FOUND
            )
        return found

    def stage(self, problems: Problems, pipeline_id: int, text: str) -> Stage | None:
        found = self._by_name.get((pipeline_id, text.lower()))
        if found is not None and found.archived_at is None:
            return found
        # The row fails: what it names, and what it could name instead.
        pipeline = next(p["name"] for p in self.pipelines if p["id"] == pipeline_id)
        what = "is not a stage of" if found is None else "was removed from"
        names = ", ".join(f"“{s.name}”" for s in self.live.get(pipeline_id, []))
        problems.add("stage", f"“{text}” {what} “{pipeline}”: use {names}.", ErrorCode.NOT_FOUND)
        return None


def _probability(text: str | None) -> tuple[int | None, str | None]:
    probability, message = parse_percentage(text)
    if message is None and probability is not None and not 0 <= probability <= 100:
        return None, PROBABILITY_RANGE
    return probability, message


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
    put(problems, values, "amount", "amount", parse_amount(present.get("amount")))
    if "amount" in values:
        values["amount"] = check_money(problems, "amount", values["amount"])
    if "currency" in present:
        values["currency"] = check_currency(problems, "currency", present["currency"], "XXX")
    for name, column, read in (
        ("expectedCloseDate", "expected_close_date", parse_day),
        ("probability", "probability_override", _probability),
    ):
        put(problems, values, name, column, read(present.get(name)))
    members.put(problems, present, "owner", values, "owner_id")
    if external_id := check_optional(problems, "externalId", present.get("externalId"), 200):
        values["external_id"] = external_id
    custom = typed_custom_fields(problems, present, definitions, CustomFieldEntity.OPPORTUNITY)
    row = _Parsed(number, problems, values, custom, {}, present, customer)
    if "pipeline" in present:
        row.pipeline_id = row.in_pipeline = process.pipeline(problems, present["pipeline"])
    else:
        row.in_pipeline = process.default_id
    if customer is not None and row.in_pipeline is not None and "name" in values:
        row.keys["name"] = (customer.id, row.in_pipeline, values["name"].lower())
    row.gave = values | {"stage": present["stage"].lower()} if "stage" in present else None
    return row


async def _open(opening: Opening) -> _Chunk:
    viewer = opening.viewer
    definitions = await load_definitions(viewer)
    currency = (await Workspace.get(id=viewer.workspace_id)).default_currency
    links = await CustomerLinks.load(viewer, opening.cells)
    members = await Members.load(viewer, opening.cells, "owner")
    process = await _SalesProcess.load(viewer, opening.cells)
    parsed = [
        _parse(number, cells, definitions, links, members, process)
        for number, cells in opening.rows
    ]
    matches = await _load_matches(opening, parsed)
    return _Chunk(parsed, viewer, process, definitions, currency or "CNY", matches)


async def _load_matches(opening: Opening, parsed: list[_Parsed]) -> Matches[_Deal]:
    """The stored deals rows may match, in one statement: by external id (also to keep new
    ones free) and, when matching on "name", the linked customers' deals; then what the
    checks of an update need, for those deals only: checklist ticks, quoted lines."""
    external_ids = {row.values["external_id"] for row in parsed if "external_id" in row.values}
    customer_ids = {row.customer.id for row in parsed if row.customer is not None}
    keys = [("externalId", key) for key in sorted(external_ids)]
    keys += [("name", row.keys.get("name")) for row in parsed]
    # Those a dry run's earlier chunks gave one of the keys.
    ids = [] if opening.file is None else await opening.file.find(keys)
    among = {
        '"external_id"': ("TEXT", external_ids),
        '"customer_id"': ("BIGINT", customer_ids if "name" in opening.match_on else set()),
        '"id"': ("BIGINT", ids),
    }
    found = await stored_values(
        Opportunity, opening.viewer.workspace_id, _COLUMNS, among, lock=opening.lock
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
        opening.file, Opportunity, deals, _Deal, _Deal.name_key, "deal", lambda d: d.values["name"]
    )


class _Chunk(RecordChunk[_Deal]):
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
        self.stage_changes: list[tuple[_Deal, int | None, int]] = []  # (deal, from, to)

    async def create(self, row: Row, problems: Problems) -> tuple[_Deal, dict[str, Any]]:
        assert isinstance(row, _Parsed) and row.customer is not None
        defaults = {"amount": Decimal(0), "currency": self.default_currency}
        values = dict.fromkeys(_COLUMNS) | defaults | row.values
        values["customer_id"] = row.customer.id
        if "name" not in row.present:
            problems.add("name", "Must not be blank.", ErrorCode.REQUIRED)
            values["name"] = ""
        # The stage the row names in its pipeline, else the pipeline's first open one.
        stage = None
        if row.in_pipeline is None:
            if "pipeline" not in row.present:
                problems.add("pipeline", NO_PIPELINE, ErrorCode.REQUIRED)
        elif "stage" in row.present:
            stage = self.process.stage(problems, row.in_pipeline, row.present["stage"])
        else:
            live = self.process.live.get(row.in_pipeline, [])
            stage = next((s for s in live if s.kind == StageKind.OPEN), None)
            if stage is None:
                problems.add("stage", "The pipeline has no open stage.", ErrorCode.NOT_FOUND)
        values["custom_fields"] = await self.custom_fields(row, problems)
        values["owner_id"] = default_owner(values["owner_id"], self.viewer, row.customer.owner_id)
        if stage is not None:
            status = status_for(stage.kind)
            values.update(
                pipeline_id=stage.pipeline_id,
                stage_id=stage.id,
                status=status,
                stage_entered_at=self.now,
                closed_at=None if status == OpportunityStatus.OPEN else self.now,
            )
        return _Deal(values), values

    async def update(self, row: Row, target: _Deal, problems: Problems) -> dict[str, Any]:
        assert isinstance(row, _Parsed)
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
            check_line_currencies(problems, "currency", changes["currency"], target.line_currencies)
        if "stage" in row.present:
            stage = self.process.stage(problems, current["pipeline_id"], row.present["stage"])
            if stage is not None and stage.id != current["stage_id"]:
                # A move as `moveOpportunity` makes it.
                now_in = self.process.stages[current["stage_id"]]
                required = self.process.required.get(now_in.id, [])
                for problem in stage_move_problems(now_in, stage, required, target.done_items):
                    problems.add("stage", problem.message, problem.code)
                changes |= closing_fields(now_in.kind, stage.kind, self.now)
                changes |= {"stage_id": stage.id, "stage_entered_at": self.now}
        return changes

    def land(self, row: Row, target: _Deal, changes: dict[str, Any]) -> bool:
        moved_from = target.values["stage_id"]
        is_new = super().land(row, target, changes)
        if "stage_id" in changes:  # a new deal's changes are all its values
            self.stage_changes.append((target, None if is_new else moved_from, changes["stage_id"]))
        return is_new

    async def write(self) -> None:
        viewer, now = self.viewer, self.now
        await self.write_records(Opportunity, now, updated_at=now)
        deals = [*self.matches.created, *self.matches.records()]
        await self.write_history(history_of(ChangedEntity.OPPORTUNITY, deals), now)
        stage_changes = [
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
        ]
        await insert_rows(StageChange._meta.db, StageChange, stage_changes, now)


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
    "pipeline": ("销售流程", "流程", "deal - pipeline"),
    "stage": ("阶段", "销售阶段", "商机阶段", "deal stage"),
    "amount": ("金额", "商机金额", "预计金额", "value", "deal - value"),
    "currency": ("币种", "货币", "deal - currency", "opportunity currency"),
    "expectedCloseDate": (
        "预计成交日期",
        "预计成交时间",
        "预计签单日期",
        "close date",
        "deal - expected close date",
    ),
    "owner": ("负责人", "销售", "deal owner", "opportunity owner"),
    "probability": ("赢率", "成交概率", "概率", "win probability", "deal - probability"),
    "externalId": ("外部编号", "商机编号", "编号", "id", "record id", "opportunity id", "deal id"),
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
