"""Enumerations shared by the models, the domain and the GraphQL layer.

Values equal names so that what is stored reads the same as what the API shows.
"""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    REP = "REP"

    @property
    def rank(self) -> int:
        return {"REP": 1, "MANAGER": 2, "ADMIN": 3}[self.value]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


class CustomerKind(StrEnum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"


class ActivityKind(StrEnum):
    CALL = "CALL"
    MEETING = "MEETING"
    VISIT = "VISIT"
    EMAIL = "EMAIL"
    MESSAGE = "MESSAGE"
    NOTE = "NOTE"
    OTHER = "OTHER"


class ReminderStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DISMISSED = "DISMISSED"
    CANCELLED = "CANCELLED"


class StageKind(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class OpportunityStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class ImportKind(StrEnum):
    CUSTOMERS = "CUSTOMERS"
    CONTACTS = "CONTACTS"
    ACTIVITIES = "ACTIVITIES"
    OPPORTUNITIES = "OPPORTUNITIES"


class ImportFormat(StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"
    JSONL = "JSONL"


class ImportMode(StrEnum):
    CREATE = "CREATE"
    UPSERT = "UPSERT"
    UPDATE = "UPDATE"


class ImportStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


# An import job in one of these will never run again.
FINISHED_IMPORT_STATUSES = (ImportStatus.COMPLETED, ImportStatus.FAILED, ImportStatus.CANCELLED)


class CustomFieldEntity(StrEnum):
    CUSTOMER = "CUSTOMER"
    CONTACT = "CONTACT"
    OPPORTUNITY = "OPPORTUNITY"


class CustomFieldType(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    BOOLEAN = "BOOLEAN"
    SELECT = "SELECT"
    MULTI_SELECT = "MULTI_SELECT"


class DeletePolicy(StrEnum):
    """Who may delete a customer (and what hangs from it) or a deal: a workspace setting."""

    OWNER = "OWNER"  # its owner, their managers, or an admin
    MANAGER = "MANAGER"  # the owner's managers or an admin (the default)
    ADMIN = "ADMIN"  # admins only


class ApiKeyScope(StrEnum):
    READ = "READ"  # queries and subscriptions
    WRITE = "WRITE"  # mutations other than imports
    IMPORTS = "IMPORTS"  # startImport, cancelImport and the import's downloads


class ReminderKind(StrEnum):
    FOLLOW_UP = "FOLLOW_UP"  # scheduled by an activity's next follow-up
    POOL_WARNING = "POOL_WARNING"  # a customer is about to return to the pool


class ChangeSource(StrEnum):
    """Through what a change came: history rows and tombstones say it."""

    API = "API"
    IMPORT = "IMPORT"
    POOL = "POOL"  # a pool rule returned the customer, or a rep claimed or released it
    TRANSFER = "TRANSFER"
    MERGE = "MERGE"


class ChangedEntity(StrEnum):
    CUSTOMER = "CUSTOMER"
    CONTACT = "CONTACT"
    OPPORTUNITY = "OPPORTUNITY"
    ACTIVITY = "ACTIVITY"


class TransferStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
