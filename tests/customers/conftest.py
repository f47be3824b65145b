"""Fixtures of the customer tests, beside tests/conftest.py's `gql` and `workspace`."""

from __future__ import annotations

import pytest

from tests.helpers import Account, GraphQL


@pytest.fixture
async def other_workspace(gql: GraphQL) -> Account:
    """A second tenant, whose data the first must never see or touch."""
    return await gql.sign_up(workspace_name="别家公司")
