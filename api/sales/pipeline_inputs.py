"""Inputs for defining and editing pipelines, and their conversion to domain data."""

from __future__ import annotations

from typing import Any

import strawberry

from api.core.inputs import changes_of, set_fields
from api.sales.types import StageKind
from domain.pipelines import ChecklistItemData, StageData
from models.enums import StageKind as StageKindEnum


@strawberry.input
class ChecklistItemInput:
    title: str
    required: bool = False

    def to_data(self) -> ChecklistItemData:
        return ChecklistItemData(title=self.title, required=self.required)


@strawberry.input
class StageInput:
    name: str
    probability: int
    kind: StageKind = StageKindEnum.OPEN
    checklist: list[ChecklistItemInput] | None = None
    rotting_days: int | None = strawberry.field(
        default=None, description="Idle days after which an opportunity here is rotting."
    )

    def to_data(self) -> StageData:
        return StageData(
            name=self.name,
            probability=self.probability,
            kind=StageKindEnum(self.kind.value),
            checklist=[item.to_data() for item in self.checklist or []],
            rotting_days=self.rotting_days,
        )


@strawberry.input
class PipelineInput:
    name: str
    is_default: bool | None = None
    stages: list[StageInput] = strawberry.field(
        description="In order. A pipeline needs at least one OPEN, one WON and one LOST stage."
    )


@strawberry.input
class PipelinePatch:
    name: str | None = strawberry.UNSET
    is_default: bool | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        return set_fields(self)


@strawberry.input
class StagePatch:
    name: str | None = strawberry.UNSET
    probability: int | None = strawberry.UNSET
    kind: StageKind | None = strawberry.UNSET
    rotting_days: int | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        return changes_of(self, enums={"kind": StageKindEnum})


@strawberry.input
class ChecklistItemPatch:
    title: str | None = strawberry.UNSET
    required: bool | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        return set_fields(self)
