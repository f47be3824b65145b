"""Tortoise models, one module per aggregate. Every row belongs to a workspace."""

from models.activity import Activity, Reminder
from models.custom_fields import CustomFieldDefinition
from models.customer import Contact, Customer, CustomerShare
from models.history import FieldChange, Tombstone
from models.imports import ImportFileKey, ImportJob, ImportRowError
from models.opportunity import LineItem, Opportunity, OpportunityChecklistState, StageChange
from models.pool import CustomerPool, CustomerTransfer, PoolRun
from models.product import Product
from models.sales import ChecklistItem, Pipeline, Stage
from models.workspace import ApiKey, Team, User, UserSession, Workspace

__all__ = [
    "Activity",
    "ApiKey",
    "ChecklistItem",
    "Contact",
    "CustomFieldDefinition",
    "Customer",
    "CustomerPool",
    "CustomerShare",
    "CustomerTransfer",
    "FieldChange",
    "ImportFileKey",
    "ImportJob",
    "ImportRowError",
    "LineItem",
    "Opportunity",
    "OpportunityChecklistState",
    "Pipeline",
    "PoolRun",
    "Product",
    "Reminder",
    "Stage",
    "StageChange",
    "Team",
    "Tombstone",
    "User",
    "UserSession",
    "Workspace",
]
