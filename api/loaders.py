"""The request's loaders: each domain folder's, under one roof (`info.context.loaders`)."""

from __future__ import annotations

from api.accounts.loaders import AccountLoaders
from api.activities.loaders import ActivityLoaders
from api.custom_fields.loaders import CustomFieldLoaders
from api.customers.loaders import CustomerLoaders
from api.history.loaders import HistoryLoaders
from api.pools.loaders import PoolLoaders
from api.sales.loaders import SalesLoaders
from api.teams.loaders import TeamLoaders
from domain.viewer import Viewer


class Loaders(
    AccountLoaders,
    CustomerLoaders,
    ActivityLoaders,
    SalesLoaders,
    CustomFieldLoaders,
    PoolLoaders,
    TeamLoaders,
    HistoryLoaders,
):
    """Named `XByYLoader`s, built once per request (per operation over WebSocket), scoped to
    the viewer's workspace (none without a viewer: workspace 0 holds nothing)."""

    def __init__(self, viewer: Viewer | None) -> None:
        workspace_id = viewer.workspace_id if viewer else 0
        AccountLoaders.__init__(self, workspace_id)
        # What hangs from a customer is loaded by id only if the viewer sees it.
        CustomerLoaders.__init__(self, workspace_id, viewer)
        ActivityLoaders.__init__(self, workspace_id, viewer)
        SalesLoaders.__init__(self, workspace_id, viewer)
        CustomFieldLoaders.__init__(self, workspace_id)
        PoolLoaders.__init__(self, workspace_id)
        TeamLoaders.__init__(self, workspace_id)
        HistoryLoaders.__init__(self, workspace_id)
