"""The activities' loaders: activities and reminders by id, the activities of a customer,
contact or deal, and the reminder an activity scheduled."""

from __future__ import annotations

from api.core.loaders import all_by, by_id, pages_by
from models import Activity, Reminder

# Newest first.
ACTIVITY_ORDER = (("occurred_at", True), ("id", True))


class ActivityLoaders:
    def __init__(self, workspace_id: int) -> None:
        ws = workspace_id
        self.activity_by_id = by_id(Activity, ws)
        self.reminder_by_id = by_id(Reminder, ws)
        # The reminder an activity scheduled (at most one; the newest if several).
        self.reminders_by_activity = all_by(Reminder, "activity_id", ws, ("-id",))
        self.activities_by_customer = pages_by(Activity, "customer_id", ACTIVITY_ORDER, ws)
        self.activities_by_contact = pages_by(Activity, "contact_id", ACTIVITY_ORDER, ws)
        self.activities_by_opportunity = pages_by(Activity, "opportunity_id", ACTIVITY_ORDER, ws)
