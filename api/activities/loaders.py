"""The activities' loaders: activities and reminders by id, the activities of a customer,
contact or deal, and the reminder an activity scheduled."""

from __future__ import annotations

from api.core.loaders import all_by, by_id, pages_by, seen_by
from domain.activities import reminder_filter
from domain.viewer import Viewer
from models import Activity, Reminder

# Newest first.
ACTIVITY_ORDER = (("occurred_at", True), ("id", True))


class ActivityLoaders:
    def __init__(self, workspace_id: int, viewer: Viewer | None) -> None:
        ws = workspace_id
        self.activity_by_id = by_id(Activity, ws, seen_by(viewer, "customer__"))
        # Reminders the viewer sees (a REP: their own), by id or by the activity that
        # scheduled them (at most one; the newest if several).
        reminders_seen = None if viewer is None else lambda: reminder_filter(viewer)
        self.reminder_by_id = by_id(Reminder, ws, reminders_seen)
        self.reminders_by_activity = all_by(
            Reminder, "activity_id", ws, ("-id",), visible=reminders_seen
        )
        self.activities_by_customer = pages_by(Activity, "customer_id", ACTIVITY_ORDER, ws)
        self.activities_by_contact = pages_by(Activity, "contact_id", ACTIVITY_ORDER, ws)
        self.activities_by_opportunity = pages_by(Activity, "opportunity_id", ACTIVITY_ORDER, ws)
