"""The accounts' loaders: users by id."""

from __future__ import annotations

from api.core.loaders import by_id
from models import User


class AccountLoaders:
    def __init__(self, workspace_id: int) -> None:
        self.user_by_id = by_id(User, workspace_id)
