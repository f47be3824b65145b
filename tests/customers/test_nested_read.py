"""The nested customer graph costs the same number of SQL statements for 3 or 30 customers."""

from datetime import UTC, datetime, timedelta

from tests.factories import invite, make_team_tree, put_in_team
from tests.helpers import Account, GraphQL, count_queries

CREATE_CUSTOMER = """
mutation($input: CustomerInput!) {
  createCustomer(input: $input) {
    customer { id contacts { edges { node { id } } } }
    errors { field message code }
  }
}
"""
CREATE_PRODUCT = """
mutation($input: ProductInput!) { createProduct(input: $input) { product { id } errors { message } } }
"""
CREATE_OPPORTUNITY = """
mutation($input: OpportunityInput!) {
  createOpportunity(input: $input) { opportunity { id } errors { field message } }
}
"""
LOG_ACTIVITY = """
mutation($input: ActivityInput!) { logActivity(input: $input) { activity { id } errors { field message } } }
"""
# Nested pages sized to the data (a customer has two contacts, one deal, one activity): a
# deal's lines count as the 200 it may hold, so 30 customers' default pages of 20 deals
# would ask for 120,000 line items, over the query budget.
NESTED = """
query($first: Int!) {
  customers(first: $first, orderBy: {field: NAME, direction: ASC}) {
    totalCount
    edges { node {
      id name owner { name }
      contacts(first: 5) { edges { node { name activities(first: 5) { edges { node {
        content opportunity { name stage { name } }
      } } } } } }
      opportunities(first: 5) { edges { node {
        name amount weightedAmount probability
        stage { name checklist { title } } pipeline { name }
        lineItems { name total product { name } }
      } } }
      activities(first: 5) { totalCount edges { node {
        content author { name } contact { name } reminder { dueAt status }
      } } }
    } }
  }
}
"""


async def _populate(gql: GraphQL, account: Account, count: int) -> None:
    token = account.token
    product = (
        await gql.execute(
            CREATE_PRODUCT,
            {"input": {"name": "CRM 专业版", "unitPrice": "1200.00", "currency": "CNY"}},
            token,
        )
    ).ok()["createProduct"]["product"]
    follow_up = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    for index in range(count):
        customer = (
            await gql.execute(
                CREATE_CUSTOMER,
                {
                    "input": {
                        "name": f"客户 {index:02d}",
                        "contacts": [{"name": f"联系人 {index}-A"}, {"name": f"联系人 {index}-B"}],
                    }
                },
                token,
            )
        ).ok()["createCustomer"]["customer"]
        contact_id = customer["contacts"]["edges"][0]["node"]["id"]
        opportunity = (
            await gql.execute(
                CREATE_OPPORTUNITY,
                {
                    "input": {
                        "customerId": customer["id"],
                        "name": f"Deal {index}",
                        "lineItems": [
                            {"productId": product["id"], "quantity": "2", "discount": "5"}
                        ],
                    }
                },
                token,
            )
        ).ok()["createOpportunity"]["opportunity"]
        result = await gql.execute(
            LOG_ACTIVITY,
            {
                "input": {
                    "customerId": customer["id"],
                    "contactId": contact_id,
                    "opportunityId": opportunity["id"],
                    "kind": "CALL",
                    "content": f"第 {index} 次电话沟通",
                    "nextFollowUpAt": follow_up,
                }
            },
            token,
        )
        assert result.ok()["logActivity"]["errors"] == []


async def _statements_for(
    gql: GraphQL, count: int, *, by_manager: bool = False
) -> tuple[int, dict]:
    """The statements of NESTED over `count` customers, read by the workspace's admin, who
    entered them, or by the MANAGER of the team above the rep who did."""
    admin = await gql.sign_up()
    author = reader = admin
    if by_manager:
        author, reader = await invite(gql, admin, "REP"), await invite(gql, admin, "MANAGER")
        teams = await make_team_tree(admin, {"sales": None, "east": "sales"})
        await put_in_team(teams["sales"], reader)
        await put_in_team(teams["east"], author)
    await _populate(gql, author, count)
    with count_queries() as statements:
        result = await gql.execute(NESTED, {"first": count}, reader.token)
    return len(statements), result.ok()


async def test_nested_read_costs_a_constant_number_of_statements(gql: GraphQL):
    # given / when
    small, small_data = await _statements_for(gql, 3)
    large, large_data = await _statements_for(gql, 30)

    # then
    assert len(small_data["customers"]["edges"]) == 3
    assert len(large_data["customers"]["edges"]) == 30
    first = large_data["customers"]["edges"][0]["node"]
    assert first["opportunities"]["edges"][0]["node"]["lineItems"][0]["total"] == "2280.00"
    assert first["activities"]["edges"][0]["node"]["reminder"]["status"] == "PENDING"
    assert small == large
    # Pinned: the session's user, the page, totalCount, then one statement per loader:
    # owners, contacts, opportunities, customer activities, contact activities, stages,
    # pipelines, line items, activity contacts, reminders, activity opportunities,
    # checklists, products.
    assert large == 16


async def test_what_a_manager_sees_costs_a_few_statements_once(gql: GraphQL):
    # given / when: a manager reads their team's customers, each level filtered by what
    # they see
    small, small_data = await _statements_for(gql, 3, by_manager=True)
    large, large_data = await _statements_for(gql, 30, by_manager=True)

    # then
    assert len(small_data["customers"]["edges"]) == 3
    assert len(large_data["customers"]["edges"]) == 30
    assert small == large
    # The admin's 16, and the scope once (domain.visibility.scope_of): the user and their
    # team, the teams below it, their members, the pools they see.
    assert large == 16 + 4
