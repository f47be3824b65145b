"""pipelineReport: every number of a pipeline's report, worked out by hand."""

from __future__ import annotations

from tests.factories import invite
from tests.helpers import Account, GraphQL
from tests.reports.support import (
    CONTRACT,
    LOST,
    NEEDS,
    QUALIFICATION,
    QUOTE,
    WON,
    Book,
    day,
    history,
    utc,
)

PIPELINE_REPORT = """
query($pipelineId: ID, $from: DateTime, $to: DateTime, $currency: String) {
  pipelineReport(pipelineId: $pipelineId, from: $from, to: $to, currency: $currency) {
    pipeline { id }
    currency
    currencies
    stages {
      stage { name }
      openCount openAmount weightedAmount
      enteredCount convertedCount conversionRate averageDaysInStage
    }
    openCount openAmount weightedAmount
    wonCount wonAmount lostCount lostAmount winRate averageDaysToClose
    forecast { month openCount amount weightedAmount }
    owners { owner { id } openCount openAmount wonCount wonAmount lostCount lostAmount winRate }
  }
}
"""

# The period: 1 January to 1 April 2025, both instants included; d(n) is n days in.
START = utc(2025, 1, 1)
END = utc(2025, 4, 1)
PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def d(days: float):
    return day(START, days)


async def _build(gql: GraphQL, admin: Account) -> tuple[Book, Account]:
    """The history of a pipeline in CNY and USD (stage positions Q0 N1 P2 C3 W4 L5).

    CNY, owned by the admin unless said otherwise:
      A 1000.00       created d0 in Q, N d10, P d20; open, expected 2025-04-15
      B 2000.00 rep   created d5 in Q, N d15, C d30, W d40; expected 2025-02-01
      C  500.00       created d2 in Q, L d12
      D  333.33 none  created d50 in Q, probability 33; open, expected 2025-03-20
      E   10.05 rep   created d60 in P; open, expected 2025-05-03
      F 4000.00       created d-31 in Q, N d-20, P d70, W d100 (won after the period)
      G  700.00 rep   created d10 in Q, L d95 (lost after the period)
      H  250.00       created d-40 in Q, W d-5 (won before the period)
      I  800.00 rep   created d20 in Q, N d25, back to Q d28, N d33; open, no date
      J 1500.00       created d-10 in Q, P d60, W d80
    USD:
      U1 9999.99      created d3 in Q; open, expected 2025-04-30
      U2 5000.00 rep  created d4 in Q, W d20
    """
    book = await Book.open(gql, admin)
    rep = await invite(gql, admin)
    a = await book.deal("1000.00", expected="2025-04-15")
    await history(a, d(0), [(NEEDS, d(10)), (QUOTE, d(20))])
    b = await book.deal("2000.00", owner=rep, expected="2025-02-01")
    await history(b, d(5), [(NEEDS, d(15)), (CONTRACT, d(30)), (WON, d(40))])
    c = await book.deal("500.00")
    await history(c, d(2), [(LOST, d(12))])
    dd = await book.deal("333.33", unowned=True, probability=33, expected="2025-03-20")
    await history(dd, d(50))
    e = await book.deal("10.05", owner=rep, stage=QUOTE, expected="2025-05-03")
    await history(e, d(60))
    f = await book.deal("4000.00")
    await history(f, d(-31), [(NEEDS, d(-20)), (QUOTE, d(70)), (WON, d(100))])
    g = await book.deal("700.00", owner=rep)
    await history(g, d(10), [(LOST, d(95))])
    h = await book.deal("250.00")
    await history(h, d(-40), [(WON, d(-5))])
    i = await book.deal("800.00", owner=rep)
    await history(i, d(20), [(NEEDS, d(25)), (QUALIFICATION, d(28)), (NEEDS, d(33))])
    j = await book.deal("1500.00")
    await history(j, d(-10), [(QUOTE, d(60)), (WON, d(80))])
    u1 = await book.deal("9999.99", currency="USD", expected="2025-04-30")
    await history(u1, d(3))
    u2 = await book.deal("5000.00", currency="USD", owner=rep)
    await history(u2, d(4), [(WON, d(20))])
    return book, rep


def _stage(name, open_=(0, "0.00", "0.00"), entered=0, converted=0, rate=0.0, days=None):
    count, amount, weighted = open_
    return {
        "stage": {"name": name},
        "openCount": count,
        "openAmount": amount,
        "weightedAmount": weighted,
        "enteredCount": entered,
        "convertedCount": converted,
        "conversionRate": rate,
        "averageDaysInStage": days,
    }


async def test_every_number_of_the_report(gql: GraphQL, workspace: Account):
    # given
    book, rep = await _build(gql, workspace)

    # when
    result = await gql.execute(
        PIPELINE_REPORT, {"pipelineId": book.pipeline["id"], **PERIOD}, workspace.token
    )

    # then
    report = result.ok()["pipelineReport"]
    assert report["pipeline"] == {"id": book.pipeline["id"]}
    assert report["currency"] == "CNY"  # the workspace's default currency
    assert report["currencies"] == ["CNY", "USD"]
    assert report["stages"] == [
        # Open now: D (333.33 at its own 33%: 109.9989 → 110.00).
        # Entered in the period: A d0, B d5, C d2, D d50, G d10, I d20 and d28 → 6 deals;
        # went on to N or beyond (not L): A, B, I → 3/6.
        # Ended stays: A 10, B 10, C 10, G 85 (left d95), I 5 and 5 → 125/6 = 20.83 days.
        _stage(QUALIFICATION, (1, "333.33", "110.00"), 6, 3, 0.5, 20.83),
        # Open now: I 800.00 × 25% = 200.00. Entered: A d10, B d15, I d25 and d33 (F at
        # d-20 is before the period) → 3 deals; on to a later stage: A (P), B (C) → 2/3;
        # I only went back. Ended stays: A 10, B 15, I 3 → 28/3 = 9.33 days.
        _stage(NEEDS, (1, "800.00", "200.00"), 3, 2, 2 / 3, 9.33),
        # Open now: A 1000.00 + E 10.05 = 1010.05; weighted 500.00 + 5.025 → 5.03 = 505.03.
        # Entered: A d20, E d60, F d70, J d60 → 4; went on: F (W at d100: after the period
        # still counts), J (W d80) → 2/4. Ended stays: F 30, J 20 → 25 days.
        _stage(QUOTE, (2, "1010.05", "505.03"), 4, 2, 0.5, 25.0),
        # Entered: B d30, went on to W at d40 → 1/1; its stay: 10 days.
        _stage(CONTRACT, (0, "0.00", "0.00"), 1, 1, 1.0, 10.0),
        # Entered: B d40, J d80 (F d100 and H d-5 are outside); nothing comes after WON,
        # and no stay in it has ended.
        _stage(WON, entered=2),
        # Entered: C d12 (G's d95 is after the period).
        _stage(LOST, entered=1),
    ]
    # Open now: D, I, A, E: 333.33 + 800.00 + 1010.05 = 2143.38; 110.00 + 200.00 + 505.03.
    assert (report["openCount"], report["openAmount"], report["weightedAmount"]) == (
        4,
        "2143.38",
        "815.03",
    )
    # Won in the period: B (2000.00, d5 → d40: 35 days) and J (1500.00, d-10 → d80: 90
    # days); lost: C (500.00). F, G and H closed outside the period, U2 in USD.
    assert report["wonCount"] == 2
    assert report["wonAmount"] == "3500.00"
    assert report["lostCount"] == 1
    assert report["lostAmount"] == "500.00"
    assert report["winRate"] == 2 / 3
    assert report["averageDaysToClose"] == 62.5  # (35 + 90) / 2
    # Open deals with a date, by month: D 2025-03, A 2025-04, E 2025-05. I has no date;
    # B is won; U1 is in USD.
    assert report["forecast"] == [
        {"month": "2025-03", "openCount": 1, "amount": "333.33", "weightedAmount": "110.00"},
        {"month": "2025-04", "openCount": 1, "amount": "1000.00", "weightedAmount": "500.00"},
        {"month": "2025-05", "openCount": 1, "amount": "10.05", "weightedAmount": "5.03"},
    ]
    assert report["owners"] == [
        # The rep: open E + I = 810.05; won B 2000.00; G's loss is after the period → 1/1.
        {
            "owner": {"id": rep.user_id},
            "openCount": 2,
            "openAmount": "810.05",
            "wonCount": 1,
            "wonAmount": "2000.00",
            "lostCount": 0,
            "lostAmount": "0.00",
            "winRate": 1.0,
        },
        # The admin: open A 1000.00; won J 1500.00, lost C 500.00 → 1/2.
        {
            "owner": {"id": workspace.user_id},
            "openCount": 1,
            "openAmount": "1000.00",
            "wonCount": 1,
            "wonAmount": "1500.00",
            "lostCount": 1,
            "lostAmount": "500.00",
            "winRate": 0.5,
        },
        # Nobody: open D 333.33; nothing closed → no win rate.
        {
            "owner": None,
            "openCount": 1,
            "openAmount": "333.33",
            "wonCount": 0,
            "wonAmount": "0.00",
            "lostCount": 0,
            "lostAmount": "0.00",
            "winRate": None,
        },
    ]


async def test_another_currency_is_reported_on_its_own(gql: GraphQL, workspace: Account):
    # given
    book, rep = await _build(gql, workspace)

    # when
    result = await gql.execute(
        PIPELINE_REPORT,
        {"pipelineId": book.pipeline["id"], **PERIOD, "currency": "usd"},
        workspace.token,
    )

    # then: only U1 and U2, nothing of the CNY deals
    report = result.ok()["pipelineReport"]
    assert report["currency"] == "USD"
    assert report["currencies"] == ["CNY", "USD"]
    assert report["stages"] == [
        # Open now: U1 9999.99 × 10% = 999.999 → 1000.00. Entered: U1 d3, U2 d4; U2 went
        # on to W → 1/2; U2's stay d4 → d20 = 16 days.
        _stage(QUALIFICATION, (1, "9999.99", "1000.00"), 2, 1, 0.5, 16.0),
        _stage(NEEDS),
        _stage(QUOTE),
        _stage(CONTRACT),
        _stage(WON, entered=1),
        _stage(LOST),
    ]
    assert (report["openCount"], report["openAmount"], report["weightedAmount"]) == (
        1,
        "9999.99",
        "1000.00",
    )
    assert (report["wonCount"], report["wonAmount"]) == (1, "5000.00")
    assert (report["lostCount"], report["lostAmount"]) == (0, "0.00")
    assert report["winRate"] == 1.0
    assert report["averageDaysToClose"] == 16.0  # d4 → d20
    assert report["forecast"] == [
        {"month": "2025-04", "openCount": 1, "amount": "9999.99", "weightedAmount": "1000.00"}
    ]
    assert [(o["owner"]["id"], o["wonAmount"], o["openAmount"]) for o in report["owners"]] == [
        (rep.user_id, "5000.00", "0.00"),
        (workspace.user_id, "0.00", "9999.99"),
    ]
