"""Moving opportunities through their pipeline's stages, and ticking off stage checklists."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode, Problems, not_found
from domain.opportunities import get_opportunity
from domain.pipelines import closing_fields
from domain.validation import check_optional
from domain.viewer import Viewer
from models import ChecklistItem, Opportunity, OpportunityChecklistState, Stage, StageChange
from models.enums import OpportunityStatus, StageKind

# How much of a deal's stage history `stageHistory` shows: its most recent entries. The
# history grows with every move and is never trimmed; `stageChanges` pages through it all.
RECENT_STAGE_CHANGES = 50


async def missing_required_items(opportunity: Opportunity, stage: Stage) -> list[str]:
    """Titles of the stage's required checklist items this opportunity has not done."""
    done = OpportunityChecklistState.filter(opportunity_id=opportunity.id, done=True).values(
        "item_id"
    )
    return list(
        await ChecklistItem.filter(stage_id=stage.id, required=True)
        .exclude(id__in=Subquery(done))
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


def is_forward(current: Stage, target: Stage) -> bool:
    """Progress is a move to a later stage; losing a deal is never held up by a checklist."""
    return target.position > current.position and target.kind != StageKind.LOST


async def move_opportunity(
    viewer: Viewer, opportunity_id: int, stage_id: int, lost_reason: str | None
) -> Opportunity:
    opportunity = await get_opportunity(viewer, opportunity_id, "id")
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
    if is_forward(current, target) and (
        missing := await missing_required_items(opportunity, current)
    ):
        raise DomainError.single(
            "stageId",
            f"Finish the checklist of “{current.name}” first: {'; '.join(missing)}.",
            ErrorCode.CONFLICT,
        )
    now = datetime.now(UTC)
    changes = closing_fields(current.kind, target.kind, now)
    if target.kind == StageKind.LOST:
        changes["lost_reason"] = reason
    opportunity.update_from_dict({"stage_id": target.id, "stage_entered_at": now, **changes})
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
    return opportunity


async def set_checklist_item(
    viewer: Viewer, opportunity_id: int, item_id: int, done: bool
) -> Opportunity:
    """Marks an item of any stage of the opportunity's pipeline done or not, and by whom."""
    opportunity = await get_opportunity(viewer, opportunity_id, "opportunityId")
    item = await ChecklistItem.get_or_none(
        id=item_id,
        workspace_id=viewer.workspace_id,
        stage__pipeline_id=opportunity.pipeline_id,
    )
    if item is None:
        raise not_found("itemId", "Checklist item of this opportunity's pipeline")
    now = datetime.now(UTC)
    values = {
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
