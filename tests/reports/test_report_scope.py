"""pipelineReport: which deals a report covers — the period's bounds, the defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tests.factories import pk
from tests.helpers import Account, GraphQL
from tests.reports.support import LOST, QUALIFICATION, WON, Book, history, utc

REPORT = """
query($pipelineId: ID, $from: DateTime, $to: DateTime) {
  pipelineReport(pipelineId: $pipelineId, from: $from, to: $to) {
    pipeline { id name }
    currency
    from
    to
    stages { stage { name } openCount enteredCount convertedCount conversionRate averageDaysInStage }
    openCount wonCount wonAmount lostCount winRate averageDaysToClose
  }
}
"""
CREATE_PIPELINE = """
mutation($input: PipelineInput!) {
  createPipeline(input: $input) { pipeline { id } errors { field message code } }
}
"""

FROM = utc(2025, 6, 1)
TO = utc(2025, 6, 30)  # 29 days later
CHINA = timezone(timedelta(hours=8))


def _stage(report: dict, name: str) -> dict:
    return next(s for s in report["stages"] if s["stage"]["name"] == name)


async def _bounded_history(book: Book) -> None:
    """W1 won exactly at FROM and W2 exactly at TO: in. W3 won a second before FROM
    (written in +08:00, as a client in China might), L1 lost a second after TO: out.

      W1 100.00  created FROM-10d in Q, W at FROM
      W2 200.00  created at FROM in Q, W at TO
      W3 400.00  created FROM-5d in Q, W at FROM-1s
      L1 800.00  created TO-1d in Q, L at TO+1s
    """
    w1 = await book.deal("100.00")
    await history(w1, FROM - timedelta(days=10), [(WON, FROM)])
    w2 = await book.deal("200.00")
    await history(w2, FROM, [(WON, TO)])
    w3 = await book.deal("400.00")
    await history(
        w3, FROM - timedelta(days=5), [(WON, (FROM - timedelta(seconds=1)).astimezone(CHINA))]
    )
    l1 = await book.deal("800.00")
    await history(l1, TO - timedelta(days=1), [(LOST, TO + timedelta(seconds=1))])


async def test_both_bounds_of_the_period_are_included(gql: GraphQL, workspace: Account):
    # given
    book = await Book.open(gql, workspace)
    await _bounded_history(book)

    # when: the same period, once in China's time and once in UTC without an offset
    in_china = await gql.execute(
        REPORT,
        {"from": FROM.astimezone(CHINA).isoformat(), "to": TO.astimezone(CHINA).isoformat()},
        workspace.token,
    )
    naive = await gql.execute(
        REPORT,
        {
            "from": FROM.replace(tzinfo=None).isoformat(),
            "to": TO.replace(tzinfo=None).isoformat(),
        },
        workspace.token,
    )

    # then
    report = in_china.ok()["pipelineReport"]
    assert naive.ok()["pipelineReport"] == report
    assert datetime.fromisoformat(report["from"]) == FROM
    assert datetime.fromisoformat(report["to"]) == TO
    # Won: W1 (at FROM, 10 days after creation) and W2 (at TO, 29 days): 300.00.
    assert (report["wonCount"], report["wonAmount"], report["lostCount"]) == (2, "300.00", 0)
    assert report["winRate"] == 1.0
    assert report["averageDaysToClose"] == 19.5  # (10 + 29) / 2
    # Entered Q in the period: W2 (at FROM) and L1 (TO-1d); W2 went on to W → 1/2.
    # Stays: W2 FROM → TO = 29 days; L1 TO-1d → TO+1s = 1.0000116 → 15.0000058 → 15.0.
    assert _stage(report, QUALIFICATION) == {
        "stage": {"name": QUALIFICATION},
        "openCount": 0,
        "enteredCount": 2,
        "convertedCount": 1,
        "conversionRate": 0.5,
        "averageDaysInStage": 15.0,
    }
    # Entered W: W1 at FROM, W2 at TO; W3 a second early. L1 entered L a second late.
    assert _stage(report, WON)["enteredCount"] == 2
    assert _stage(report, LOST)["enteredCount"] == 0


async def test_a_period_that_ends_before_it_starts_is_refused(gql: GraphQL, workspace: Account):
    # when
    result = await gql.execute(
        REPORT, {"from": TO.isoformat(), "to": FROM.isoformat()}, workspace.token
    )

    # then
    assert result.data is None
    assert [e["extensions"]["code"] for e in result.errors] == ["INVALID"]


async def _second_pipeline(gql: GraphQL, account: Account) -> str:
    result = await gql.execute(
        CREATE_PIPELINE,
        {
            "input": {
                "name": "渠道",
                "stages": [
                    {"name": "线索", "probability": 20},
                    {"name": "赢单", "probability": 100, "kind": "WON"},
                    {"name": "输单", "probability": 0, "kind": "LOST"},
                ],
            }
        },
        account.token,
    )
    payload = result.ok()["createPipeline"]
    assert payload["errors"] == []
    return payload["pipeline"]["id"]


async def test_defaults_are_the_default_pipeline_and_the_last_90_days(
    gql: GraphQL, workspace: Account
):
    # given
    now = datetime.now(UTC)
    book = await Book.open(gql, workspace)
    await book.deal("100.00")  # X: open in Q, created now
    y = await book.deal("200.00")
    await history(y, now - timedelta(days=20), [(WON, now - timedelta(days=10))])
    z = await book.deal("400.00")
    await history(z, now - timedelta(days=120), [(WON, now - timedelta(days=100))])
    channel = await _second_pipeline(gql, workspace)
    v = await book.deal("800.00", pipelineId=channel)
    await history(v, now - timedelta(days=15), [("赢单", now - timedelta(days=5))])

    # when
    default = await gql.execute(REPORT, {}, workspace.token)
    other = await gql.execute(REPORT, {"pipelineId": channel}, workspace.token)
    after = datetime.now(UTC)

    # then: the default pipeline in the workspace's currency; Y is in, Z too old, V elsewhere
    report = default.ok()["pipelineReport"]
    assert report["pipeline"] == {"id": book.pipeline["id"], "name": "Sales"}
    assert report["currency"] == "CNY"
    start, end = datetime.fromisoformat(report["from"]), datetime.fromisoformat(report["to"])
    assert now <= end <= after
    assert end - start == timedelta(days=90)
    assert (report["wonCount"], report["wonAmount"], report["averageDaysToClose"]) == (
        1,
        "200.00",
        10.0,  # created 20 days ago, won 10 days ago
    )
    # X entered Q just now; Y 20 days ago and went on to W; Z's entry is 120 days old.
    assert _stage(report, QUALIFICATION)["openCount"] == 1
    assert _stage(report, QUALIFICATION)["enteredCount"] == 2
    assert _stage(report, QUALIFICATION)["conversionRate"] == 0.5
    # The other pipeline: V alone, won 5 days ago after 10 days.
    report = other.ok()["pipelineReport"]
    assert report["pipeline"] == {"id": channel, "name": "渠道"}
    assert [s["stage"]["name"] for s in report["stages"]] == ["线索", "赢单", "输单"]
    assert (report["openCount"], report["wonCount"], report["wonAmount"]) == (0, 1, "800.00")
    assert report["averageDaysToClose"] == 10.0
    assert pk(channel) != pk(book.pipeline["id"])
