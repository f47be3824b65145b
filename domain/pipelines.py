"""Pipelines and their stages: the sales process a workspace defines, and its editing rules.

Invariants kept here, whatever the edit:
- a pipeline has at least one OPEN, one WON and one LOST stage;
- its live stages hold the positions 0…n-1, and their names are unique in it;
- a workspace has exactly one default pipeline;
- a stage that still holds opportunities is not removed unless they move elsewhere;
  a removed stage is archived, so the history of deals that passed through it stays whole.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode, Problems, not_found
from domain.history import TRACKED, VIA_API, changes_of, record_changes
from domain.validation import check_name
from domain.viewer import Viewer
from models import ChecklistItem, Opportunity, Pipeline, Stage, StageChange
from models.enums import ChangedEntity, OpportunityStatus, Role, StageKind

# A stage's or a deal's probability; the API and the deal import say it alike.
PROBABILITY_RANGE = "A probability is a percentage from 0 to 100."

# A sales process's shape, bounded so that reading it whole stays cheap: a workspace's
# pipelines, their live stages and each stage's checklist are read without pages (the query
# cost counts these bounds: 20 pipelines of 30 stages of 30 items at most).
MAX_PIPELINES = 20
MAX_STAGES = 30
MAX_CHECKLIST_ITEMS = 30


@dataclass
class ChecklistItemData:
    title: str
    required: bool = False


@dataclass
class StageData:
    name: str
    probability: int
    kind: StageKind = StageKind.OPEN
    checklist: list[ChecklistItemData] = field(default_factory=list)
    rotting_days: int | None = None


# (name, probability, kind, checklist of (title, required))
DEFAULT_B2B_STAGES: list[tuple[str, int, StageKind, list[tuple[str, bool]]]] = [
    ("Qualification", 10, StageKind.OPEN, [("Identify the decision maker", False)]),
    ("Needs analysis", 25, StageKind.OPEN, [("Confirm the budget", False)]),
    ("Quote", 50, StageKind.OPEN, [("Send the quote", False)]),
    ("Contract", 80, StageKind.OPEN, [("Contract signed", False)]),
    ("Won", 100, StageKind.WON, []),
    ("Lost", 0, StageKind.LOST, []),
]


def status_for(kind: StageKind) -> OpportunityStatus:
    """An opportunity in an OPEN stage is open; in a WON or LOST stage, won or lost."""
    return OpportunityStatus(kind.value)


# ---------------------------------------------------------------- checks


def _check_stage(problems: Problems, path: str, data: StageData) -> StageData:
    name = check_name(problems, f"{path}.name", data.name)
    _check_probability(problems, f"{path}.probability", data.probability)
    _check_rotting_days(problems, f"{path}.rottingDays", data.rotting_days)
    if len(data.checklist) > MAX_CHECKLIST_ITEMS:
        problems.add(f"{path}.checklist", f"At most {MAX_CHECKLIST_ITEMS} items per stage.")
    items = [
        ChecklistItemData(
            check_name(problems, f"{path}.checklist.{i}.title", item.title, max_length=300),
            item.required,
        )
        for i, item in enumerate(data.checklist)
    ]
    return StageData(name, data.probability, data.kind, items, data.rotting_days)


def _check_probability(problems: Problems, path: str, probability: int | None) -> None:
    if probability is None:
        problems.add(path, "Must not be null.", ErrorCode.REQUIRED)
    elif not 0 <= probability <= 100:
        problems.add(path, PROBABILITY_RANGE)


def _check_rotting_days(problems: Problems, path: str, days: int | None) -> None:
    if days is not None and not 1 <= days <= 3650:
        problems.add(path, "Rotting starts after 1 to 3650 idle days, or never (null).")


def _check_kinds(problems: Problems, path: str, kinds: list[StageKind]) -> None:
    missing = [kind.value for kind in StageKind if kind not in kinds]
    if missing:
        problems.add(
            path,
            f"A pipeline needs at least one OPEN, one WON and one LOST stage; "
            f"it has no {' or '.join(missing)} stage.",
        )


def _check_unique_names(problems: Problems, path: str, names: list[str]) -> None:
    counts = Counter(name.casefold() for name in names if name)
    for index, name in enumerate(names):
        if name and counts[name.casefold()] > 1:
            problems.add(
                f"{path}.{index}.name", f"Another stage is named “{name}”.", ErrorCode.DUPLICATE
            )


# ---------------------------------------------------------------- reading


async def default_pipeline(workspace_id: int) -> Pipeline | None:
    return await Pipeline.filter(workspace_id=workspace_id, is_default=True).first()


async def _pipeline(viewer: Viewer, pipeline_id: int, field_path: str = "id") -> Pipeline:
    pipeline = await Pipeline.get_or_none(id=pipeline_id, workspace_id=viewer.workspace_id)
    if pipeline is None:
        raise not_found(field_path, "Pipeline")
    return pipeline


async def _live_stage(viewer: Viewer, stage_id: int, field_path: str = "id") -> Stage:
    stage = await Stage.get_or_none(id=stage_id, workspace_id=viewer.workspace_id, archived_at=None)
    if stage is None:
        raise not_found(field_path, "Stage")
    return stage


async def live_stages(pipeline_id: int) -> list[Stage]:
    return await Stage.filter(pipeline_id=pipeline_id, archived_at=None).order_by("position", "id")


# ---------------------------------------------------------------- creating


async def _insert_stages(
    workspace_id: int, pipeline_id: int, stages: list[StageData], first_position: int = 0
) -> None:
    await Stage.bulk_create(
        [
            Stage(
                workspace_id=workspace_id,
                pipeline_id=pipeline_id,
                name=data.name,
                position=first_position + index,
                probability=data.probability,
                kind=data.kind,
                rotting_days=data.rotting_days,
            )
            for index, data in enumerate(stages)
        ]
    )
    created = await Stage.filter(
        pipeline_id=pipeline_id, archived_at=None, position__gte=first_position
    ).order_by("position")
    await ChecklistItem.bulk_create(
        [
            ChecklistItem(
                workspace_id=workspace_id,
                stage_id=stage.id,
                title=item.title,
                required=item.required,
                position=index,
            )
            for stage, data in zip(created, stages, strict=True)
            for index, item in enumerate(data.checklist)
        ]
    )


async def _make_default(workspace_id: int, pipeline_id: int) -> None:
    await (
        Pipeline.filter(workspace_id=workspace_id, is_default=True)
        .exclude(id=pipeline_id)
        .update(is_default=False)
    )
    await Pipeline.filter(id=pipeline_id).update(is_default=True)


async def create_default_pipeline(workspace_id: int) -> Pipeline:
    """Every new workspace starts with a B2B pipeline it can rename and reshape later."""
    pipeline = await Pipeline.create(workspace_id=workspace_id, name="Sales", is_default=True)
    await _insert_stages(
        workspace_id,
        pipeline.id,
        [
            StageData(name, probability, kind, [ChecklistItemData(t, r) for t, r in checklist])
            for name, probability, kind, checklist in DEFAULT_B2B_STAGES
        ],
    )
    return pipeline


async def create_pipeline(
    viewer: Viewer, *, name: str, is_default: bool | None, stages: list[StageData]
) -> Pipeline:
    viewer.require_role(Role.MANAGER, "define pipelines")
    problems = Problems()
    clean_name = check_name(problems, "input.name", name)
    if len(stages) > MAX_STAGES:
        problems.add("input.stages", f"A pipeline has at most {MAX_STAGES} stages.")
    clean = [_check_stage(problems, f"input.stages.{i}", s) for i, s in enumerate(stages)]
    _check_unique_names(problems, "input.stages", [s.name for s in clean])
    _check_kinds(problems, "input.stages", [s.kind for s in clean])
    if await Pipeline.filter(workspace_id=viewer.workspace_id).count() >= MAX_PIPELINES:
        problems.add(
            None, f"A workspace has at most {MAX_PIPELINES} pipelines.", ErrorCode.CONFLICT
        )
    problems.raise_if_any()
    async with in_transaction():
        first = not await Pipeline.filter(workspace_id=viewer.workspace_id).exists()
        pipeline = await Pipeline.create(
            workspace_id=viewer.workspace_id, name=clean_name, is_default=False
        )
        await _insert_stages(viewer.workspace_id, pipeline.id, clean)
        if is_default or first:
            await _make_default(viewer.workspace_id, pipeline.id)
    return await Pipeline.get(id=pipeline.id)


# ---------------------------------------------------------------- editing


async def update_pipeline(viewer: Viewer, pipeline_id: int, changes: dict[str, Any]) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    pipeline = await _pipeline(viewer, pipeline_id)
    problems = Problems()
    if "name" in changes:
        pipeline.name = check_name(problems, "input.name", changes["name"])
    if changes.get("is_default") is False and pipeline.is_default:
        problems.add(
            "input.isDefault",
            "Make another pipeline the default instead; a workspace always has one.",
            ErrorCode.CONFLICT,
        )
    problems.raise_if_any()
    async with in_transaction():
        await pipeline.save(update_fields=["name"])
        if changes.get("is_default"):
            await _make_default(viewer.workspace_id, pipeline.id)
    return await Pipeline.get(id=pipeline.id)


async def _renumber(stages: list[Stage]) -> None:
    """Gives `stages` (in their new order) the positions 0…n-1, writing only what moved."""
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
            await Stage.filter(id=stage.id).update(position=position)


async def add_stage(
    viewer: Viewer, pipeline_id: int, data: StageData, position: int | None
) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    pipeline = await _pipeline(viewer, pipeline_id, "pipelineId")
    stages = await live_stages(pipeline.id)
    problems = Problems()
    clean = _check_stage(problems, "input", data)
    if clean.name and any(s.name.casefold() == clean.name.casefold() for s in stages):
        problems.add("input.name", f"Another stage is named “{clean.name}”.", ErrorCode.DUPLICATE)
    if len(stages) >= MAX_STAGES:
        problems.add(
            "pipelineId", f"A pipeline has at most {MAX_STAGES} stages.", ErrorCode.CONFLICT
        )
    if position is not None and not 0 <= position <= len(stages):
        problems.add("position", f"Give a position from 0 to {len(stages)}.")
    problems.raise_if_any()
    at = len(stages) if position is None else position
    async with in_transaction():
        await _insert_stages(viewer.workspace_id, pipeline.id, [clean], first_position=len(stages))
        added = await Stage.filter(
            pipeline_id=pipeline.id, archived_at=None, position=len(stages)
        ).get()
        await _renumber([*stages[:at], added, *stages[at:]])
    return pipeline


async def _holding(stage: Stage) -> int:
    return await Opportunity.filter(stage_id=stage.id).count()


async def update_stage(viewer: Viewer, stage_id: int, changes: dict[str, Any]) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    stage = await _live_stage(viewer, stage_id)
    siblings = [s for s in await live_stages(stage.pipeline_id) if s.id != stage.id]
    problems = Problems()
    updates: dict[str, Any] = {}
    if "name" in changes:
        updates["name"] = check_name(problems, "input.name", changes["name"])
        if updates["name"] and any(
            s.name.casefold() == updates["name"].casefold() for s in siblings
        ):
            problems.add(
                "input.name", f"Another stage is named “{updates['name']}”.", ErrorCode.DUPLICATE
            )
    if "probability" in changes:
        _check_probability(problems, "input.probability", changes["probability"])
        updates["probability"] = changes["probability"]
    if "rotting_days" in changes:
        _check_rotting_days(problems, "input.rottingDays", changes["rotting_days"])
        updates["rotting_days"] = changes["rotting_days"]
    if changes.get("kind") is not None and changes["kind"] != stage.kind:
        if count := await _holding(stage):
            problems.add(
                "input.kind",
                f"{count} opportunities are in this stage; move them before changing its kind.",
                ErrorCode.CONFLICT,
            )
        _check_kinds(problems, "input.kind", [s.kind for s in siblings] + [changes["kind"]])
        updates["kind"] = changes["kind"]
    problems.raise_if_any()
    if updates:
        stage.update_from_dict(updates)
        await stage.save(update_fields=list(updates))
    return await Pipeline.get(id=stage.pipeline_id)


async def reorder_stages(viewer: Viewer, pipeline_id: int, stage_ids: list[int]) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    pipeline = await _pipeline(viewer, pipeline_id, "pipelineId")
    stages = {stage.id: stage for stage in await live_stages(pipeline.id)}
    if sorted(stage_ids) != sorted(stages):
        raise DomainError.single(
            "stageIds",
            "List every stage of the pipeline exactly once, in the new order.",
            ErrorCode.INVALID,
        )
    async with in_transaction():
        await _renumber([stages[i] for i in stage_ids])
    return pipeline


async def remove_stage(viewer: Viewer, stage_id: int, move_to_id: int | None) -> Pipeline:
    """Archives the stage; its opportunities must move to `move_to_id` if it holds any."""
    viewer.require_role(Role.MANAGER, "edit pipelines")
    stage = await _live_stage(viewer, stage_id)
    siblings = [s for s in await live_stages(stage.pipeline_id) if s.id != stage.id]
    problems = Problems()
    _check_kinds(problems, "id", [s.kind for s in siblings])
    target = next((s for s in siblings if s.id == move_to_id), None)
    if move_to_id is not None and target is None:
        problems.add(
            "moveOpportunitiesTo", "Stage not found in this pipeline.", ErrorCode.NOT_FOUND
        )
    held = await _holding(stage)
    if held and move_to_id is None:
        problems.add(
            "moveOpportunitiesTo",
            f"{held} opportunities are in this stage: name a stage to move them to.",
            ErrorCode.CONFLICT,
        )
    problems.raise_if_any()
    now = datetime.now(UTC)
    async with in_transaction():
        if held and target is not None:
            await _move_all(viewer, stage, target, now)
        await Stage.filter(id=stage.id).update(archived_at=now, position=-1)
        await _renumber(siblings)
    return await Pipeline.get(id=stage.pipeline_id)


async def _move_all(viewer: Viewer, source: Stage, target: Stage, now: datetime) -> None:
    """Moves every opportunity of `source` to `target`, recording each move in its history.

    Status, close date and lost reason follow the same rule as a single move
    (`domain.stages.move_opportunity`): see `closing_fields`.
    """
    moved = await Opportunity.filter(stage_id=source.id).values(
        "id", "customer_id", *TRACKED[ChangedEntity.OPPORTUNITY]
    )
    fields = closing_fields(source.kind, target.kind, now)
    await Opportunity.filter(stage_id=source.id).update(
        stage_id=target.id, stage_entered_at=now, updated_at=now, **fields
    )
    await StageChange.bulk_create(
        [
            StageChange(
                workspace_id=viewer.workspace_id,
                opportunity_id=opportunity_id,
                from_stage_id=source.id,
                to_stage_id=target.id,
                changed_at=now,
                changed_by_id=viewer.user_id,
            )
            for opportunity_id in (deal["id"] for deal in moved)
        ]
    )
    after = {"stage_id": target.id, **fields}
    history = [
        change
        for deal in moved
        for change in changes_of(
            ChangedEntity.OPPORTUNITY, deal["id"], deal["customer_id"], deal, after
        )
    ]
    await record_changes(viewer, VIA_API, history, at=now)


def closing_fields(source: StageKind, target: StageKind, now: datetime) -> dict[str, Any]:
    """What a move from a `source`-kind stage to a `target`-kind stage does to a deal's closing.

    Into an OPEN stage: reopened (no close date, no lost reason). From an open stage into
    WON or LOST: closed now. Between closed stages the deal keeps its close date; it keeps
    its lost reason only while it stays lost. Fields left out are left as they are.
    """
    status = status_for(target)
    if status == OpportunityStatus.OPEN:
        return {"status": status, "closed_at": None, "lost_reason": None}
    fields: dict[str, Any] = {"status": status}
    if source == StageKind.OPEN:
        fields["closed_at"] = now
    if status != OpportunityStatus.LOST:
        fields["lost_reason"] = None
    return fields


# ---------------------------------------------------------------- checklists


async def _checklist_item(viewer: Viewer, item_id: int) -> ChecklistItem:
    item = await ChecklistItem.get_or_none(id=item_id, workspace_id=viewer.workspace_id)
    if item is None:
        raise not_found("id", "Checklist item")
    return item


async def add_checklist_item(viewer: Viewer, stage_id: int, data: ChecklistItemData) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    stage = await _live_stage(viewer, stage_id, "stageId")
    problems = Problems()
    title = check_name(problems, "input.title", data.title, max_length=300)
    count = await ChecklistItem.filter(stage_id=stage.id).count()
    if count >= MAX_CHECKLIST_ITEMS:
        problems.add(
            "stageId", f"At most {MAX_CHECKLIST_ITEMS} items per stage.", ErrorCode.CONFLICT
        )
    problems.raise_if_any()
    await ChecklistItem.create(
        workspace_id=viewer.workspace_id,
        stage_id=stage.id,
        title=title,
        required=data.required,
        position=count,
    )
    return await Pipeline.get(id=stage.pipeline_id)


async def update_checklist_item(viewer: Viewer, item_id: int, changes: dict[str, Any]) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    item = await _checklist_item(viewer, item_id)
    problems = Problems()
    updates: dict[str, Any] = {}
    if "title" in changes:
        updates["title"] = check_name(problems, "input.title", changes["title"], max_length=300)
    if changes.get("required") is not None:
        updates["required"] = changes["required"]
    problems.raise_if_any()
    if updates:
        item.update_from_dict(updates)
        await item.save(update_fields=list(updates))
    stage = await Stage.get(id=item.stage_id)
    return await Pipeline.get(id=stage.pipeline_id)


async def remove_checklist_item(viewer: Viewer, item_id: int) -> Pipeline:
    viewer.require_role(Role.MANAGER, "edit pipelines")
    item = await _checklist_item(viewer, item_id)
    stage = await Stage.get(id=item.stage_id)
    await item.delete()  # its per-opportunity states go with it
    return await Pipeline.get(id=stage.pipeline_id)
