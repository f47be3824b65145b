"""Team and workspace-settings inputs."""

from __future__ import annotations

from typing import Any

import strawberry

from api.accounts.types import DeletePolicy
from api.core.ids import decode_optional_id
from api.core.inputs import changes_of
from models.enums import DeletePolicy as DeletePolicyEnum


@strawberry.input
class TeamInput:
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team above; none for a root team (an ADMIN's)."
    )

    def parent_pk(self) -> int | None:
        return decode_optional_id(self.parent_id, "Team", "input.parentId")


@strawberry.input
class TeamPatch:
    name: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Moves the team, with every team below it; null makes it a root team.",
    )

    def to_changes(self) -> dict[str, Any]:
        return changes_of(self, ids={"parent_id": ("Team", "input.parentId")})


@strawberry.input
class WorkspacePatch:
    delete_policy: DeletePolicy | None = strawberry.UNSET

    def to_changes(self) -> dict[str, Any]:
        return changes_of(self, enums={"delete_policy": DeletePolicyEnum})
