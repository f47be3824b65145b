"""Who is acting: the workspace every read and write is scoped to, and with which role."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import forbidden
from models.enums import ApiKeyScope, Role

# A signed-in person may do everything their role allows; an API key what its scopes allow.
ALL_SCOPES = frozenset(ApiKeyScope)


@dataclass(frozen=True)
class Viewer:
    workspace_id: int
    role: Role
    # A session acts as its user. An API key acts as the user it names (`ApiKey.acts_as`:
    # their visibility, at most their role), its id kept beside so that what it does can
    # say it came through the key; an ADMIN key may act as the workspace (no user).
    user_id: int | None = None
    api_key_id: int | None = None
    # The signed-in session (`UserSession`) a session token names; None for other viewers.
    session_id: int | None = None
    # What the viewer may do at all (an API key's scopes); everything for anyone else.
    scopes: frozenset[ApiKeyScope] = ALL_SCOPES
    # The IANA zone of the viewer's clock, when known (`domain.local_time.viewer_zone`
    # looks it up otherwise): the user's, or the workspace's for a key acting as it.
    timezone: str | None = None
    # What the viewer sees (`domain.visibility.scope_of`), worked out once per viewer: a
    # request's viewer lives as long as the request.
    _scope: Any = field(default=None, compare=False, repr=False)

    @property
    def cached_scope(self) -> Any:
        return self._scope

    def keep_scope(self, scope: Any) -> None:
        object.__setattr__(self, "_scope", scope)

    def require_scope(self, scope: ApiKeyScope) -> None:
        """Refuses an API key without `scope` (FORBIDDEN, naming the scope it lacks)."""
        if scope not in self.scopes:
            raise forbidden(missing_scope(scope))

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


def missing_scope(scope: ApiKeyScope) -> str:
    return (
        f"This API key lacks the {scope.value} scope; create a key with it "
        f"(createApiKey scopes) to do this."
    )
