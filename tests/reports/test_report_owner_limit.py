"""pipelineReport lists the MAX_REPORT_OWNERS owners with the most won, then open, money: a
workspace may have any number of users, and the list is read whole (the query cost counts
its bound)."""

from __future__ import annotations

from decimal import Decimal

from api.core.ids import to_global_id
from domain.reports import MAX_REPORT_OWNERS
from models import Opportunity, Stage, User, Workspace
from tests.factories import create_customer, pk
from tests.helpers import Account, GraphQL

OWNERS = """
{ pipelineReport { owners { owner { id } openCount openAmount wonCount } } }
"""


async def test_the_owners_with_the_most_money_are_listed(gql: GraphQL, workspace: Account):
    # given: five owners more than the report lists, each with one open deal (owner n: n yuan)
    admin = await User.get(id=pk(workspace.user_id))
    customer_id = pk((await create_customer(gql, workspace))["id"])
    currency = (await Workspace.get(id=admin.workspace_id)).default_currency
    stage = await Stage.filter(workspace_id=admin.workspace_id).order_by("position").first()
    count = MAX_REPORT_OWNERS + 5
    await User.bulk_create(
        [
            User(
                workspace_id=admin.workspace_id,
                name=f"销售 {n}",
                email=f"rep-{n}-{admin.workspace_id}@example.com",
                password_hash="!",
            )
            for n in range(1, count + 1)
        ]
    )
    owners = {
        user.name: user.id
        for user in await User.filter(workspace_id=admin.workspace_id).exclude(id=admin.id)
    }
    await Opportunity.bulk_create(
        [
            Opportunity(
                workspace_id=admin.workspace_id,
                customer_id=customer_id,
                pipeline_id=stage.pipeline_id,
                stage_id=stage.id,
                name=f"Deal {n}",
                amount=Decimal(n),
                currency=currency,
                owner_id=owners[f"销售 {n}"],
            )
            for n in range(1, count + 1)
        ]
    )

    # when
    report = (await gql.execute(OWNERS, token=workspace.token)).ok()["pipelineReport"]

    # then: owners 105 down to 6
    listed = report["owners"]
    assert len(listed) == MAX_REPORT_OWNERS
    expected = [to_global_id("User", owners[f"销售 {n}"]) for n in range(count, 5, -1)]
    assert [row["owner"]["id"] for row in listed] == expected
    assert listed[0]["openAmount"] == f"{count}.00" and listed[-1]["openAmount"] == "6.00"
