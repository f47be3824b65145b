"""The sales loaders: products, pipelines, stages and deals by id, and what hangs off them
(a pipeline's stages, a stage's checklist, a deal's lines, checklist states and history,
a customer's deals)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from api.core.loaders import all_by, by_id, first_by, pages_by, seen_by
from domain.opportunities import MAX_LINE_ITEMS
from domain.pipelines import MAX_CHECKLIST_ITEMS, MAX_STAGES
from domain.stages import RECENT_STAGE_CHANGES
from domain.viewer import Viewer
from models import (
    ChecklistItem,
    LineItem,
    Opportunity,
    OpportunityChecklistState,
    Pipeline,
    Product,
    Stage,
    StageChange,
)

OPPORTUNITY_ORDER = (("updated_at", True), ("id", True))  # recently touched first
POSITION_ORDER = (("position", False), ("id", False))
STAGE_CHANGE_ORDER = (("changed_at", False), ("id", False))


def _status_filter(status: Hashable) -> dict[str, Any]:
    return {} if status is None else {"status": status}


class SalesLoaders:
    def __init__(self, workspace_id: int, viewer: Viewer | None) -> None:
        ws = workspace_id
        self.opportunity_by_id = by_id(Opportunity, ws, seen_by(viewer, "customer__"))
        self.pipeline_by_id = by_id(Pipeline, ws)
        self.stage_by_id = by_id(Stage, ws)
        self.product_by_id = by_id(Product, ws)
        # Live stages only: removed ones are archived but still named by deals' history.
        self.stages_by_pipeline = first_by(
            Stage, "pipeline_id", ws, POSITION_ORDER, MAX_STAGES, archived_at=None
        )
        self.checklist_by_stage = first_by(
            ChecklistItem, "stage_id", ws, POSITION_ORDER, MAX_CHECKLIST_ITEMS
        )
        self.line_items_by_opportunity = first_by(
            LineItem, "opportunity_id", ws, POSITION_ORDER, MAX_LINE_ITEMS
        )
        self.checklist_states_by_opportunity = all_by(
            OpportunityChecklistState, "opportunity_id", ws
        )
        self.recent_stage_changes_by_opportunity = first_by(
            StageChange,
            "opportunity_id",
            ws,
            STAGE_CHANGE_ORDER,
            RECENT_STAGE_CHANGES,
            reverse=True,
        )
        self.stage_changes_by_opportunity = pages_by(
            StageChange, "opportunity_id", STAGE_CHANGE_ORDER, ws
        )
        self.opportunities_by_customer = pages_by(
            Opportunity, "customer_id", OPPORTUNITY_ORDER, ws, _status_filter
        )
