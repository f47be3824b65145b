"""The one set of builders tests start from. Each goes through the public API (the shared
documents of tests/documents) or, for tests that work below the API, through the domain.
The few that write state no rule lets a client write say so in their name and docstring."""

from tests.factories.accounts import create_api_key, invite, viewer_of, workspace_pk
from tests.factories.calls import mutate, mutate_ok
from tests.factories.customers import (
    create_contact,
    create_customer,
    define_custom_field,
    domain_customer,
    force_customer_columns,
    log_activity,
    plan_follow_up,
)
from tests.factories.ids import gid, instant, iso, pk
from tests.factories.imports import RowError, import_rows
from tests.factories.sales import (
    B2B_STAGES,
    b2b_stages,
    create_opportunity,
    create_pipeline,
    create_product,
    default_pipeline,
    move,
    move_ok,
    tick,
    tick_ok,
    with_lookups,
)
from tests.factories.teams import make_pool, make_share, make_team_tree, put_in_pool, put_in_team

__all__ = [
    "B2B_STAGES",
    "RowError",
    "b2b_stages",
    "create_api_key",
    "create_contact",
    "create_customer",
    "create_opportunity",
    "create_pipeline",
    "create_product",
    "default_pipeline",
    "define_custom_field",
    "domain_customer",
    "force_customer_columns",
    "gid",
    "import_rows",
    "instant",
    "invite",
    "iso",
    "log_activity",
    "make_pool",
    "make_share",
    "make_team_tree",
    "move",
    "move_ok",
    "mutate",
    "mutate_ok",
    "pk",
    "plan_follow_up",
    "put_in_pool",
    "put_in_team",
    "tick",
    "tick_ok",
    "viewer_of",
    "with_lookups",
    "workspace_pk",
]
