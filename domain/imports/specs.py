"""The registry of import kinds: each kind's `engine.Spec`, declared in its own module, read
wherever kinds differ (mapping and required columns, jobs, the runner, commits, the CLI)."""

from __future__ import annotations

from domain.imports import activity_rows, contact_rows, customer_rows, opportunity_rows
from domain.imports.engine import Spec
from models.enums import ImportKind

SPECS: dict[ImportKind, Spec] = {
    module.SPEC.kind: module.SPEC
    for module in (customer_rows, contact_rows, activity_rows, opportunity_rows)
}
