"""Customer scores: how a score is made (`rules`), computed for many customers at once
(`batches`), and who may ask for a recomputation (`requests`)."""

from domain.scoring.batches import (
    BATCH_SIZE,
    score_customers,
    score_workspace,
    workspace_pages,
)
from domain.scoring.requests import MAX_CUSTOMER_IDS, ScoreRequest, score_request
from domain.scoring.rules import (
    Component,
    CustomerFacts,
    Score,
    score,
)

__all__ = [
    "BATCH_SIZE",
    "MAX_CUSTOMER_IDS",
    "Component",
    "CustomerFacts",
    "Score",
    "ScoreRequest",
    "score",
    "score_customers",
    "score_request",
    "score_workspace",
    "workspace_pages",
]
