"""Tortoise models, one module per aggregate. Every row belongs to a workspace."""

from models.activity import Activity, Reminder
from models.custom_fields import CustomFieldDefinition
from models.customer import Contact, Customer
from models.imports import ImportFileKey, ImportJob, ImportRowError
from models.opportunity import LineItem, Opportunity, OpportunityChecklistState, StageChange
from models.product import Product
from models.sales import ChecklistItem, Pipeline, Stage
from models.workspace import ApiKey, User, Workspace

__all__ = [
    "Activity",
    "ApiKey",
    "ChecklistItem",
    "Contact",
    "CustomFieldDefinition",
    "Customer",
    "ImportFileKey",
    "ImportJob",
    "ImportRowError",
    "LineItem",
    "Opportunity",
    "OpportunityChecklistState",
    "Pipeline",
    "Product",
    "Reminder",
    "Stage",
    "StageChange",
    "User",
    "Workspace",
]
