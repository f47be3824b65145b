"""Pipelines and their stages: the sales process a workspace follows."""

from __future__ import annotations

from models import ChecklistItem, Pipeline, Stage
from models.enums import StageKind

# (name, probability, kind, checklist of (title, required))
DEFAULT_B2B_STAGES: list[tuple[str, int, StageKind, list[tuple[str, bool]]]] = [
    ("Qualification", 10, StageKind.OPEN, [("Identify the decision maker", False)]),
    ("Needs analysis", 25, StageKind.OPEN, [("Confirm the budget", False)]),
    ("Quote", 50, StageKind.OPEN, [("Send the quote", False)]),
    ("Contract", 80, StageKind.OPEN, [("Contract signed", False)]),
    ("Won", 100, StageKind.WON, []),
    ("Lost", 0, StageKind.LOST, []),
]


async def create_default_pipeline(workspace_id: int) -> Pipeline:
    """Every new workspace starts with a B2B pipeline it can rename and reshape later."""
    pipeline = await Pipeline.create(workspace_id=workspace_id, name="Sales", is_default=True)
    stages = [
        Stage(
            workspace_id=workspace_id,
            pipeline_id=pipeline.id,
            name=name,
            position=position,
            probability=probability,
            kind=kind,
        )
        for position, (name, probability, kind, _) in enumerate(DEFAULT_B2B_STAGES)
    ]
    await Stage.bulk_create(stages)
    created = await Stage.filter(pipeline_id=pipeline.id).order_by("position")
    items = [
        ChecklistItem(
            workspace_id=workspace_id,
            stage_id=stage.id,
            title=title,
            required=required,
            position=index,
        )
        for stage, (_, _, _, checklist) in zip(created, DEFAULT_B2B_STAGES, strict=True)
        for index, (title, required) in enumerate(checklist)
    ]
    await ChecklistItem.bulk_create(items)
    return pipeline


async def default_pipeline(workspace_id: int) -> Pipeline | None:
    return await Pipeline.filter(workspace_id=workspace_id, is_default=True).first()
