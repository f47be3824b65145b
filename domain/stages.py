"""Moving opportunities through their pipeline's stages, and ticking off stage checklists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.transactions import in_transaction

from domain.access import check_change_of
from domain.errors import ErrorCode, Problem, Problems, not_found
from domain.history import VIA_API, Through, changes_of, record_changes, values_of
from domain.opportunities import get_opportunity
from domain.pipelines import closing_fields
from domain.validation import check_optional
from domain.viewer import Viewer
from models import ChecklistItem, Opportunity, OpportunityChecklistState, Stage, StageChange
from models.enums import ChangedEntity, OpportunityStatus, StageKind

# How much of a deal's stage history `stageHistory` shows: its most recent entries. The
# history grows with every move and is never trimmed; `stageChanges` pages through it all.
RECENT_STAGE_CHANGES = 50


def is_forward(current: Stage, target: Stage) -> bool:
    """Progress is a move to a later stage; losing a deal is never held up by a checklist."""
    return target.position > current.position and target.kind != StageKind.LOST


def stage_move_problems(
    current: Stage, target: Stage, required: Sequence[ChecklistItem], done: Collection[int]
) -> list[Problem]:
    """What holds up a move from `current` to `target`, with no field (each door names its
    own): a forward move waits for `current`'s `required` checklist items (in their order)
    whose ids are not `done`. Both `moveOpportunity` and the deal import ask this."""
    if not is_forward(current, target):
        return []
    missing = [item.title for item in required if item.id not in done]
    if not missing:
        return []
    message = f"Finish the checklist of “{current.name}” first: {'; '.join(missing)}."
    return [Problem(None, message, ErrorCode.CONFLICT)]


async def _move_problems(opportunity: Opportunity, current: Stage, target: Stage) -> list[Problem]:
    """`stage_move_problems` of one deal, reading only what a forward move needs."""
    if not is_forward(current, target):
        return []
    required = await ChecklistItem.filter(stage_id=current.id, required=True).order_by(
        "position", "id"
    )
    done: list[int] = []
    if required:
        # Tortoise types a flat values_list as tuples; it gives the column's values.
        done = cast(
            list[int],
            await OpportunityChecklistState.filter(
                opportunity_id=opportunity.id,
                done=True,
                item_id__in=[item.id for item in required],
            ).values_list("item_id", flat=True),
        )
    return stage_move_problems(current, target, required, set(done))


async def move_opportunity(
    viewer: Viewer,
    opportunity_id: int,
    stage_id: int,
    lost_reason: str | None,
    *,
    through: Through = VIA_API,
) -> Opportunity:
    opportunity = await get_opportunity(viewer, opportunity_id, "id")
    await check_change_of(viewer, opportunity.customer_id, "id", "Opportunity")
    target = await Stage.get_or_none(
        id=stage_id,
        workspace_id=viewer.workspace_id,
        pipeline_id=opportunity.pipeline_id,
        archived_at=None,
    )
    if target is None:
        raise not_found("stageId", "Stage of this opportunity's pipeline")
    problems = Problems()
    reason = check_optional(problems, "lostReason", lost_reason, 2000)
    if reason is not None and target.kind != StageKind.LOST:
        problems.add("lostReason", "A lost reason goes with a move to a LOST stage.")
    problems.raise_if_any()
    if target.id == opportunity.stage_id:
        return opportunity
    current = await Stage.get(id=opportunity.stage_id)
    for problem in await _move_problems(opportunity, current, target):
        problems.add("stageId", problem.message, problem.code)
    problems.raise_if_any()
    now = datetime.now(UTC)
    changes = closing_fields(current.kind, target.kind, now)
    if target.kind == StageKind.LOST:
        changes["lost_reason"] = reason
    before = values_of(ChangedEntity.OPPORTUNITY, opportunity)
    changes = {"stage_id": target.id, "stage_entered_at": now, **changes}
    opportunity.update_from_dict(changes)
    async with in_transaction():
        await opportunity.save(
            update_fields=[
                "stage_id",
                "status",
                "stage_entered_at",
                "closed_at",
                "lost_reason",
                "updated_at",
            ]
        )
        await StageChange.create(
            workspace_id=viewer.workspace_id,
            opportunity_id=opportunity.id,
            from_stage_id=current.id,
            to_stage_id=target.id,
            changed_at=now,
            changed_by_id=viewer.user_id,
        )
        # The move shows in the deal's history too (field `stage`), beside its StageChange.
        history = changes_of(
            ChangedEntity.OPPORTUNITY, opportunity.id, opportunity.customer_id, before, changes
        )
        await record_changes(viewer, through, history, at=now)
    return opportunity


async def set_checklist_item(
    viewer: Viewer, opportunity_id: int, item_id: int, done: bool
) -> Opportunity:
    """Marks an item of any stage of the opportunity's pipeline done or not, and by whom."""
    opportunity = await get_opportunity(viewer, opportunity_id, "opportunityId")
    await check_change_of(viewer, opportunity.customer_id, "opportunityId", "Opportunity")
    item = await ChecklistItem.get_or_none(
        id=item_id,
        workspace_id=viewer.workspace_id,
        stage__pipeline_id=opportunity.pipeline_id,
    )
    if item is None:
        raise not_found("itemId", "Checklist item of this opportunity's pipeline")
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "done": done,
        "done_at": now if done else None,
        "done_by_id": viewer.user_id if done else None,
    }
    async with in_transaction():
        state = await OpportunityChecklistState.get_or_none(
            opportunity_id=opportunity.id, item_id=item.id
        )
        if state is None:
            await OpportunityChecklistState.create(
                workspace_id=viewer.workspace_id,
                opportunity_id=opportunity.id,
                item_id=item.id,
                **values,
            )
        elif state.done != done:
            await OpportunityChecklistState.filter(id=state.id).update(**values)
        await Opportunity.filter(id=opportunity.id).update(updated_at=now)
    return await Opportunity.get(id=opportunity.id)


def days_in_stage(opportunity: Opportunity, now: datetime | None = None) -> int:
    """Whole days since the opportunity entered its current stage."""
    entered = opportunity.stage_entered_at or opportunity.created_at
    return max(0, ((now or datetime.now(UTC)) - entered).days)


def is_rotting(opportunity: Opportunity, stage: Stage, now: datetime | None = None) -> bool:
    """Open, in a stage with a rotting limit, and idle (no move, no activity) that long."""
    if opportunity.status != OpportunityStatus.OPEN or stage.rotting_days is None:
        return False
    entered = opportunity.stage_entered_at or opportunity.created_at
    last_touch = max(entered, opportunity.last_activity_at or entered)
    return ((now or datetime.now(UTC)) - last_touch).days >= stage.rotting_days
