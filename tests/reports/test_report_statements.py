"""pipelineReport costs a fixed number of SQL statements, however many deals there are."""

from __future__ import annotations

from tests.factories import invite
from tests.helpers import GraphQL, count_queries
from tests.reports.support import LOST, NEEDS, QUOTE, WON, Book, day, history, utc

REPORT = """
query($from: DateTime, $to: DateTime) {
  pipelineReport(from: $from, to: $to) {
    pipeline { id name stages { id name } }
    currency currencies from to
    stages {
      stage { id name kind }
      openCount openAmount weightedAmount
      enteredCount convertedCount conversionRate averageDaysInStage
    }
    openCount openAmount weightedAmount
    wonCount wonAmount lostCount lostAmount winRate averageDaysToClose
    forecast { month openCount amount weightedAmount }
    owners { owner { id name } openCount openAmount wonCount wonAmount lostCount winRate }
  }
}
"""
START = utc(2025, 1, 1)
PERIOD = {"from": START.isoformat(), "to": day(START, 90).isoformat()}


async def _report_cost(gql: GraphQL, deals: int) -> tuple[int, dict]:
    """A workspace with `deals` deals of two owners and two currencies, a third won,
    a third lost after two moves, the rest open with expected dates over three months."""
    account = await gql.sign_up()
    rep = await invite(gql, account)
    book = await Book.open(gql, account)
    for n in range(deals):
        deal = await book.deal(
            f"{100 + n}.50",
            currency="USD" if n % 4 == 3 else "CNY",
            owner=rep if n % 2 else account,
            expected=f"2025-0{4 + n % 3}-15",
        )
        created = day(START, n % 60)
        if n % 3 == 0:
            await history(deal, created, [(NEEDS, day(created, 5)), (WON, day(created, 20))])
        elif n % 3 == 1:
            await history(deal, created, [(QUOTE, day(created, 3)), (LOST, day(created, 9))])
        else:
            await history(deal, created, [(NEEDS, day(created, 2))])
    with count_queries() as statements:
        result = await gql.execute(REPORT, PERIOD, account.token)
    return len(statements), result.ok()["pipelineReport"]


async def test_the_report_costs_a_fixed_number_of_statements(gql: GraphQL):
    # given / when
    small, small_report = await _report_cost(gql, 3)
    large, large_report = await _report_cost(gql, 30)

    # then
    # Deal n is won when n % 3 == 0, and in USD when n % 4 == 3; the report is in CNY.
    assert small_report["wonCount"] == 1  # deal 0
    # 0, 6, 9, 12, 18, 21, 24 (3, 15 and 27 are in USD)
    assert large_report["wonCount"] == 7
    assert len(large_report["owners"]) == 2
    assert small == large
    # Pinned: the session's user; the pipeline, the workspace's currency, its stages;
    # open deals by stage, stage history, closed deals, currencies, forecast, owners;
    # then the loaders: the pipeline's stages and the owners.
    assert large == 12
