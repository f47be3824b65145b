"""Who is acting: the workspace every read and write is scoped to, and with which role."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import forbidden
from models.enums import Role


@dataclass(frozen=True)
class Viewer:
    workspace_id: int
    role: Role
    # A session acts as a user; an API key acts in the workspace with no user.
    user_id: int | None = None
    api_key_id: int | None = None
    # The IANA zone of the viewer's clock, when known (`domain.local_time.viewer_zone`
    # looks it up otherwise): the user's, or the workspace's for an API key.
    timezone: str | None = None
    # What the viewer sees (`domain.visibility.scope_of`), worked out once per viewer: a
    # request's viewer lives as long as the request.
    _scope: Any = field(default=None, compare=False, repr=False)

    @property
    def cached_scope(self) -> Any:
        return self._scope

    def keep_scope(self, scope: Any) -> None:
        object.__setattr__(self, "_scope", scope)

    def afresh(self) -> Viewer:
        """The same viewer without the scope it kept: for what outlives a request (a
        WebSocket's operations, a subscription's later reads), which must see shares,
        transfers and team moves made since."""
        return replace(self, _scope=None)

    def require_role(self, minimum: Role, action: str) -> None:
        if not self.role.at_least(minimum):
            raise forbidden(f"Only {minimum.value} or above may {action}.")

    @property
    def sees_everyone(self) -> bool:
        """Managers and admins see the whole team's reminders; reps see their own."""
        return self.role.at_least(Role.MANAGER)
