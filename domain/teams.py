"""Teams (departments): a tree per workspace, and which team each user belongs to.

Who manages what: an ADMIN the whole workspace; a MANAGER their own team's subtree. A
manager may add teams under their team or below it, rename or move the teams strictly
below their own (within their subtree), and move the users of their subtree between its
teams; making a root team, taking a user out of every team, and changing the manager's
own team are an admin's. Reps manage no team.

A team's `path` ("/1/7/12/") lists its ancestors' ids and its own, so "every team below
T" is one indexed `path LIKE 'T.path%'` (`domain.visibility`). Moving a team rewrites the
paths of its whole subtree in one UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode, Problems, forbidden, not_found
from domain.sql import Sql
from domain.validation import check_name
from domain.viewer import Viewer
from domain.visibility import team_ids_in_path
from models import Team, User, Workspace
from models.enums import DeletePolicy, Role

# Teams a workspace may hold: the `teams` query lists them all.
MAX_TEAMS = 200
# Levels from a root team down: paths stay well within their column (1,000 characters).
MAX_TEAM_DEPTH = 20


def depth_of(team: Team) -> int:
    """1 for a root team, 2 for its children…"""
    return len(team_ids_in_path(team.path))


def _duplicate(field: str, name: str) -> DomainError:
    return DomainError.single(
        field, f"A team named “{name}” already exists under this parent.", ErrorCode.DUPLICATE
    )


@dataclass(frozen=True)
class _Manages:
    """The part of the tree a viewer manages: everything (`path` None), or one subtree."""

    path: str | None

    def covers(self, team: Team) -> bool:
        return self.path is None or team.path.startswith(self.path)


async def _manages(viewer: Viewer, action: str) -> _Manages:
    if viewer.role is Role.ADMIN:
        return _Manages(None)
    if viewer.role is Role.MANAGER and viewer.user_id is not None:
        user = await User.get(id=viewer.user_id).select_related("team")
        if user.team is not None:
            return _Manages(user.team.path)
    raise forbidden(f"Only an ADMIN, or a MANAGER within their own teams, may {action}.")


async def _team(viewer: Viewer, team_id: int, field: str) -> Team:
    team = await Team.get_or_none(id=team_id, workspace_id=viewer.workspace_id)
    if team is None:
        raise not_found(field, "Team")
    return team


async def _name_taken(
    viewer: Viewer, parent_id: int | None, name: str, exclude: int | None
) -> bool:
    # UNIQUE (workspace, parent, name) says it for teams with a parent; NULLs are distinct,
    # so root teams are compared here.
    query = Team.filter(workspace_id=viewer.workspace_id, parent_id=parent_id, name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    return await query.exists()


async def create_team(viewer: Viewer, name: str, parent_id: int | None) -> Team:
    manages = await _manages(viewer, "create teams")
    problems = Problems()
    name = check_name(problems, "input.name", name)
    parent = await _team(viewer, parent_id, "input.parentId") if parent_id is not None else None
    if parent is None and manages.path is not None:
        raise forbidden("Only an ADMIN makes a root team.")
    if parent is not None and not manages.covers(parent):
        raise forbidden("A MANAGER adds teams within their own teams only.")
    if parent is not None and depth_of(parent) >= MAX_TEAM_DEPTH:
        problems.add("input.parentId", f"Teams nest at most {MAX_TEAM_DEPTH} levels deep.")
    if await Team.filter(workspace_id=viewer.workspace_id).count() >= MAX_TEAMS:
        problems.add(None, f"A workspace has at most {MAX_TEAMS} teams.", ErrorCode.CONFLICT)
    problems.raise_if_any()
    if await _name_taken(viewer, parent_id, name, None):
        raise _duplicate("input.name", name)
    try:
        async with in_transaction():
            team = await Team.create(workspace_id=viewer.workspace_id, name=name, parent=parent)
            # The path names the team's own id, known once it is inserted.
            team.path = f"{parent.path if parent else '/'}{team.id}/"
            await team.save(update_fields=["path"])
    except IntegrityError:
        raise _duplicate("input.name", name) from None
    return team


async def update_team(viewer: Viewer, team_id: int, changes: dict[str, Any]) -> Team:
    """Renames the team and/or moves it (with its subtree) under another parent; a null
    `parent_id` makes it a root team (an admin's)."""
    manages = await _manages(viewer, "change teams")
    async with in_transaction() as db:
        team = await _team(viewer, team_id, "id")
        if manages.path is not None and (team.path == manages.path or not manages.covers(team)):
            raise forbidden("A MANAGER changes the teams below their own only.")
        problems = Problems()
        if "name" in changes:
            team.name = check_name(problems, "input.name", changes["name"])
        parent = team.parent_id
        new_path = team.path
        if "parent_id" in changes and changes["parent_id"] != team.parent_id:
            parent, new_path = await _new_place(
                viewer, manages, problems, team, changes["parent_id"]
            )
        problems.raise_if_any()
        if await _name_taken(viewer, parent, team.name, team.id):
            raise _duplicate("input.name", team.name)
        old_path = team.path
        team.parent_id = parent
        try:
            await team.save(update_fields=["name", "parent_id"])
        except IntegrityError:
            raise _duplicate("input.name", team.name) from None
        if new_path != old_path:
            await _rewrite_paths(db, viewer.workspace_id, old_path, new_path)
            team.path = new_path
    return team


async def _new_place(
    viewer: Viewer, manages: _Manages, problems: Problems, team: Team, parent_id: int | None
) -> tuple[int | None, str]:
    """The team's new parent and path, or problems: a cycle, too deep, not the viewer's."""
    if parent_id is None:
        if manages.path is not None:
            raise forbidden("Only an ADMIN makes a root team.")
        return None, f"/{team.id}/"
    parent = await _team(viewer, parent_id, "input.parentId")
    if not manages.covers(parent):
        raise forbidden("A MANAGER moves teams within their own teams only.")
    if parent.path.startswith(team.path):
        raise DomainError.single(
            "input.parentId",
            "A team cannot move under itself or a team below it.",
            ErrorCode.CYCLE,
        )
    subtree = await Team.filter(
        workspace_id=viewer.workspace_id, path__startswith=team.path
    ).values_list("path", flat=True)
    below = max(len(team_ids_in_path(str(path))) for path in subtree) - depth_of(team)
    if depth_of(parent) + 1 + below > MAX_TEAM_DEPTH:
        problems.add("input.parentId", f"Teams nest at most {MAX_TEAM_DEPTH} levels deep.")
    return parent.id, f"{parent.path}{team.id}/"


async def _rewrite_paths(db: Any, workspace_id: int, old: str, new: str) -> None:
    """Every path under `old` starts with `new` instead: the subtree moves in one UPDATE."""
    sql = Sql(db)
    # Paths hold digits and slashes only, so `old` needs no LIKE escaping.
    statement = (
        f"UPDATE team SET path = {sql.bind(new)} || SUBSTR(path, {sql.bind(len(old) + 1)}) "
        f"WHERE workspace_id = {sql.bind(workspace_id)} AND path LIKE {sql.bind(old + '%')}"
    )
    await db.execute_query(statement, sql.values)


async def check_team_for_member(viewer: Viewer, team_id: int | None, field: str) -> None:
    """Whether the viewer may put a user into `team_id` (None: no team, an admin's)."""
    manages = await _manages(viewer, "place users in teams")
    if team_id is None:
        if manages.path is not None:
            raise forbidden("Only an ADMIN takes a user out of every team.")
        return
    if not manages.covers(await _team(viewer, team_id, field)):
        raise forbidden("A MANAGER places users within their own teams only.")


async def move_user(viewer: Viewer, user_id: int, team_id: int | None) -> User:
    """Puts the user in `team_id` (None: in no team)."""
    manages = await _manages(viewer, "move users between teams")
    user = await User.get_or_none(id=user_id, workspace_id=viewer.workspace_id).select_related(
        "team"
    )
    if user is None:
        raise not_found("userId", "User")
    if manages.path is not None and (
        user.id == viewer.user_id
        or user.role is Role.ADMIN
        or user.team is None
        or not manages.covers(user.team)
    ):
        raise forbidden("A MANAGER moves the other users of their own teams only.")
    await check_team_for_member(viewer, team_id, "teamId")
    if user.team_id != team_id:
        user.team_id = team_id
        await user.save(update_fields=["team_id"])
    return user


async def teams_of(viewer: Viewer) -> list[Team]:
    """The workspace's teams, parents before their children (by path), at most MAX_TEAMS."""
    return await Team.filter(workspace_id=viewer.workspace_id).order_by("path").limit(MAX_TEAMS)


async def update_workspace(viewer: Viewer, changes: dict[str, Any]) -> Workspace:
    """The workspace's settings an ADMIN changes: who may delete (`delete_policy`)."""
    viewer.require_role(Role.ADMIN, "change the workspace's settings")
    workspace = await Workspace.get(id=viewer.workspace_id)
    policy = changes.get("delete_policy")
    if "delete_policy" in changes and policy is None:
        raise DomainError.single("input.deletePolicy", "Must not be null.", ErrorCode.REQUIRED)
    if isinstance(policy, DeletePolicy) and policy is not workspace.delete_policy:
        workspace.delete_policy = policy
        await workspace.save(update_fields=["delete_policy"])
    return workspace
