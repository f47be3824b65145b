"""The customers' loaders: customers and contacts by id (those the viewer sees), a
customer's contacts."""

from __future__ import annotations

from api.core.loaders import by_id, pages_by, seen_by
from domain.viewer import Viewer
from models import Contact, Customer

# Primary contact first, then in the order they were added.
CONTACT_ORDER = (("is_primary", True), ("id", False))


class CustomerLoaders:
    def __init__(self, workspace_id: int, viewer: Viewer | None) -> None:
        self.customer_by_id = by_id(Customer, workspace_id, seen_by(viewer))
        self.contact_by_id = by_id(Contact, workspace_id, seen_by(viewer, "customer__"))
        self.contacts_by_customer = pages_by(Contact, "customer_id", CONTACT_ORDER, workspace_id)
