"""The people of a workspace, as other records refer to them (owners, authors)."""

from __future__ import annotations

from domain.errors import ErrorCode, Problems
from domain.viewer import Viewer
from models import User


async def check_member(problems: Problems, path: str, viewer: Viewer, user_id: int | None) -> None:
    """A user id given as an owner must be a user of the viewer's workspace."""
    if (
        user_id is not None
        and not await User.filter(id=user_id, workspace_id=viewer.workspace_id).exists()
    ):
        problems.add(path, "User not found.", ErrorCode.NOT_FOUND)
