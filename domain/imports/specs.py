"""The registry of import kinds: each kind's `engine.Spec`, declared in its own module.

Whatever differs between kinds is read from here: the mapping (fields, headers, custom
field entity), the job's request (match fields and their defaults), the columns a file
needs, the runner (how a chunk is checked and applied, the tables it grows) and the CLI.
"""

from __future__ import annotations

from domain.imports import activity_rows, contact_rows, customer_rows, opportunity_rows
from domain.imports.engine import Spec
from models.enums import ImportKind

SPECS: dict[ImportKind, Spec] = {
    module.SPEC.kind: module.SPEC
    for module in (customer_rows, contact_rows, activity_rows, opportunity_rows)
}
