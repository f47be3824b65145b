"""Workspaces named on the command line as the API names them.

The API shows a workspace's id as an opaque global id (`viewer { workspace { id } }`, and
`crm seed` prints the demo's so); an operator copies that, so `crm import --workspace`
takes it (or the bare number).
"""

from __future__ import annotations

import argparse

from api.core.ids import from_global_id


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
