"""Workspaces named on the command line as the API names them.

The API shows a workspace's id as an opaque global id (`viewer { workspace { id } }`);
an operator copies that, so `crm import --workspace` takes it (or the bare number), and
`crm seed` prints the demo workspace's.
"""

from __future__ import annotations

import argparse

from api.core.ids import from_global_id, to_global_id


async def workspace_of(email: str) -> str:
    """The id the API shows for the (first) workspace where `email` has an account."""
    from tortoise import Tortoise

    from crm.db import tortoise_config
    from models import User

    await Tortoise.init(config=tortoise_config())
    try:
        user = await User.filter(email=email).order_by("workspace_id").first()
        assert user is not None, "seeded, so the account exists"
        return to_global_id("Workspace", user.workspace_id)
    finally:
        await Tortoise.close_connections()


def parse_workspace_id(text: str) -> int:
    """--workspace: the id the API shows (viewer { workspace { id } }) or its number."""
    if text.isdigit():
        return int(text)
    try:
        type_name, pk = from_global_id(text)
    except ValueError:
        type_name, pk = "", 0
    if type_name != "Workspace":
        raise argparse.ArgumentTypeError(f"{text!r} is not a workspace id")
    return pk
