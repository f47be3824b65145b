"""Dates the API now refuses may still be stored: written before the 1900-2200 rule, or
by hand. Reports, lists and scores must go on working for the workspace around them.

The values are written with raw SQL. On PostgreSQL they include 'infinity' and
'-infinity', which asyncpg writes for date.max and datetime.max: before the fix, one
open deal expected to close on 9999-12-31 made `pipelineReport` an INTERNAL error for
its whole pipeline (to_char(infinity) is NULL, and ForecastMonth.month is non-null),
and a stay or a deal's age ending at ±infinity made PostgreSQL refuse the report's SQL
("cannot subtract infinite timestamps").
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.scoring import score_workspace
from models import Customer, Opportunity, StageChange
from tests.cpu import cpu_time
from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.reports.support import NEEDS, WON, Book, history
from tests.reports.test_pipeline_report import PERIOD, PIPELINE_REPORT, d

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")
# (a date column's value, a timestamp column's value) as SQL literals.
FAR = {
    "year-9999": ("'9999-12-31'", "'9999-12-31 23:59:59.999999+00:00'"),
    "year-0001": ("'0001-01-01'", "'0001-01-01 00:00:00+00:00'"),
}
if POSTGRES:
    FAR |= {
        "infinity": ("'infinity'::date", "'infinity'::timestamptz"),
        "minus-infinity": ("'-infinity'::date", "'-infinity'::timestamptz"),
    }

# The report of a few deals answers in ~50 ms of the process's CPU (tests/cpu.py); this is a
# generous ceiling.
ANSWERED_WITHIN = 2.0

DEALS_BY_CLOSE_DATE = """
query($after: String, $direction: OrderDirection!) {
  opportunities(first: 1, after: $after, orderBy: {field: EXPECTED_CLOSE_DATE, direction: $direction}) {
    edges { cursor node { id expectedCloseDate createdAt closedAt daysInStage isRotting } }
  }
}
"""
CUSTOMERS_BY = """
query($after: String, $field: CustomerOrderField!, $direction: OrderDirection!) {
  customers(first: 1, after: $after, orderBy: {field: $field, direction: $direction}) {
    edges { cursor node { id lastActivityAt nextFollowUpAt score } }
  }
}
"""


async def _write(model: type, column: str, literal: str, **where: int) -> None:
    """Sets `column` to the SQL literal on the rows matching `where`, by hand."""
    db = model._meta.db
    ((key, value),) = where.items()
    placeholder = "$1" if POSTGRES else "?"
    await db.execute_query(
        f'UPDATE "{model._meta.db_table}" SET "{column}" = {literal} WHERE "{key}" = {placeholder}',
        [value],
    )


async def _every_page(
    gql: GraphQL, account: Account, query: str, connection: str, **variables: Any
) -> list[dict[str, Any]]:
    nodes, after = [], None
    for _ in range(20):
        result = await gql.execute(query, {**variables, "after": after}, account.token)
        edges = result.ok()[connection]["edges"]
        if not edges:
            return nodes
        nodes += [edge["node"] for edge in edges]
        after = edges[-1]["cursor"]
    raise AssertionError("paging never ended")


@pytest.mark.parametrize(("day", "instant"), FAR.values(), ids=FAR.keys())
async def test_far_dates_stored_by_hand_break_nothing(
    gql: GraphQL, workspace: Account, day: str, instant: str
):
    # given: a pipeline whose deals carry the far value in every date and instant they have
    book = await Book.open(gql, workspace)
    far_open = await book.deal("100.00", expected="2030-06-30")
    await history(far_open, d(0))
    for column in ("stage_entered_at", "last_activity_at"):
        await _write(Opportunity, column, instant, id=far_open)
    await _write(Opportunity, "expected_close_date", day, id=far_open)
    old_win = await book.deal("200.00")
    await history(old_win, d(1), [(NEEDS, d(2)), (WON, d(3))])
    await _write(Opportunity, "created_at", instant, id=old_win)
    far_stay = await book.deal("300.00")
    await history(far_stay, d(1), [(NEEDS, d(2))])
    moved = await StageChange.filter(opportunity_id=far_stay).order_by("-id").first()
    assert moved is not None
    await _write(StageChange, "changed_at", instant, id=moved.id)
    usual = await book.deal("50.00", expected="2030-01-15")
    await history(usual, d(5))
    customer = pk(book.customer_id)
    for column in ("last_activity_at", "next_follow_up_at"):
        await _write(Customer, column, instant, id=customer)

    # when
    with cpu_time() as cpu:
        result = await gql.execute(
            PIPELINE_REPORT, {"pipelineId": book.pipeline["id"], **PERIOD}, workspace.token
        )

    # then: the report stands; far values are left out of months and averages
    report = result.ok()["pipelineReport"]
    assert cpu.seconds < ANSWERED_WITHIN, f"answered after {cpu.seconds:.2f} CPU s"
    assert report["forecast"] == [
        {"month": "2030-01", "openCount": 1, "amount": "50.00", "weightedAmount": "5.00"}
    ]
    assert report["openCount"] == 3
    assert (report["wonCount"], report["averageDaysToClose"]) == (1, None)
    qualification = report["stages"][0]
    assert qualification["enteredCount"] == 4
    # the stays that ended: old_win's (1 day); far_stay's ends at the far value: left out
    assert qualification["averageDaysInStage"] == 1.0

    # and lists page through every deal and customer, in both directions
    for direction in ("ASC", "DESC"):
        deals = await _every_page(
            gql, workspace, DEALS_BY_CLOSE_DATE, "opportunities", direction=direction
        )
        assert len(deals) == 4 and len({deal["id"] for deal in deals}) == 4
        for field in ("NEXT_FOLLOW_UP_AT", "LAST_ACTIVITY_AT"):
            customers = await _every_page(
                gql, workspace, CUSTOMERS_BY, "customers", field=field, direction=direction
            )
            assert [c["id"] for c in customers] == [book.customer_id]

    # and scores are computed
    workspace_id = (await Opportunity.get(id=usual)).workspace_id
    assert await score_workspace(workspace_id, datetime.now(UTC)) == 1
