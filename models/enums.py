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
