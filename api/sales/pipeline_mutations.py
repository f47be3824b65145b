"""Defining and editing pipelines (MANAGER or ADMIN), moving deals through them."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.core.ids import decode_id, decode_optional_id
from api.core.mutations import perform
from api.sales.pipeline_inputs import (
    ChecklistItemInput,
    ChecklistItemPatch,
    PipelineInput,
    PipelinePatch,
    StageInput,
    StagePatch,
)
from api.sales.types import OpportunityPayload, PipelinePayload
from domain import pipelines, stages


@strawberry.type
class PipelineMutations:
    @strawberry.mutation(description="A new pipeline with its stages and their checklists.")
    async def create_pipeline(self, info: Info, input: PipelineInput) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.create_pipeline(
                viewer,
                name=input.name,
                is_default=input.is_default,
                stages=[stage.to_data() for stage in input.stages],
            ),
        )

    @strawberry.mutation(description="Renames a pipeline or makes it the default.")
    async def update_pipeline(
        self, info: Info, id: strawberry.ID, input: PipelinePatch
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.update_pipeline(
                viewer, decode_id(id, "Pipeline", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation(description="Adds a stage at `position` (default: last).")
    async def add_stage(
        self, info: Info, pipeline_id: strawberry.ID, input: StageInput, position: int | None = None
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.add_stage(
                viewer, decode_id(pipeline_id, "Pipeline", "pipelineId"), input.to_data(), position
            ),
        )

    @strawberry.mutation(
        description="Renames a stage, or changes its probability, kind or rotting."
    )
    async def update_stage(
        self, info: Info, id: strawberry.ID, input: StagePatch
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.update_stage(
                viewer, decode_id(id, "Stage", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation(description="Puts the pipeline's stages in the given order (all of them).")
    async def reorder_stages(
        self, info: Info, pipeline_id: strawberry.ID, stage_ids: list[strawberry.ID]
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.reorder_stages(
                viewer,
                decode_id(pipeline_id, "Pipeline", "pipelineId"),
                [decode_id(s, "Stage", f"stageIds.{i}") for i, s in enumerate(stage_ids)],
            ),
        )

    @strawberry.mutation(
        description="Removes a stage. One that still holds opportunities is refused (CONFLICT) "
        "unless `moveOpportunitiesTo` names a stage of the same pipeline to move them to."
    )
    async def remove_stage(
        self, info: Info, id: strawberry.ID, move_opportunities_to: strawberry.ID | None = None
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.remove_stage(
                viewer,
                decode_id(id, "Stage", "id"),
                decode_optional_id(move_opportunities_to, "Stage", "moveOpportunitiesTo"),
            ),
        )

    @strawberry.mutation
    async def add_checklist_item(
        self, info: Info, stage_id: strawberry.ID, input: ChecklistItemInput
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.add_checklist_item(
                viewer, decode_id(stage_id, "Stage", "stageId"), input.to_data()
            ),
        )

    @strawberry.mutation
    async def update_checklist_item(
        self, info: Info, id: strawberry.ID, input: ChecklistItemPatch
    ) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.update_checklist_item(
                viewer, decode_id(id, "ChecklistItem", "id"), input.to_changes()
            ),
        )

    @strawberry.mutation
    async def remove_checklist_item(self, info: Info, id: strawberry.ID) -> PipelinePayload:
        return await perform(
            info,
            PipelinePayload,
            lambda viewer: pipelines.remove_checklist_item(
                viewer, decode_id(id, "ChecklistItem", "id")
            ),
        )

    @strawberry.mutation(
        description="Refused with a CONFLICT error while a required checklist item of the current "
        "stage is not done (moving backwards, or to a LOST stage, is always allowed)."
    )
    async def move_opportunity(
        self, info: Info, id: strawberry.ID, stage_id: strawberry.ID, lost_reason: str | None = None
    ) -> OpportunityPayload:
        return await perform(
            info,
            OpportunityPayload,
            lambda viewer: stages.move_opportunity(
                viewer,
                decode_id(id, "Opportunity", "id"),
                decode_id(stage_id, "Stage", "stageId"),
                lost_reason,
            ),
        )

    @strawberry.mutation(description="Marks a checklist item of the deal's pipeline done or not.")
    async def set_checklist_item(
        self, info: Info, opportunity_id: strawberry.ID, item_id: strawberry.ID, done: bool
    ) -> OpportunityPayload:
        return await perform(
            info,
            OpportunityPayload,
            lambda viewer: stages.set_checklist_item(
                viewer,
                decode_id(opportunity_id, "Opportunity", "opportunityId"),
                decode_id(item_id, "ChecklistItem", "itemId"),
                done,
            ),
        )
