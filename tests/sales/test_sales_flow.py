"""The sales process end to end, through the API only: a B2B pipeline with Chinese stage names
and required checklists, deals quoted in products with discounts, a move held up by the
checklist, a completed checklist, a won and a lost deal, and the pipeline report."""

from datetime import UTC, datetime

import pytest

from tests.factories import (
    b2b_stages,
    create_customer,
    create_opportunity,
    create_product,
    instant,
    invite,
    make_team_tree,
    move,
    mutate,
    put_in_team,
    tick_ok,
)
from tests.helpers import Account, GraphQL

OPPORTUNITY = """
query($id: ID!) {
  node(id: $id) {
    ... on Opportunity {
      name status amount probability weightedAmount closedAt lostReason
      stage { name }
      checklist { item { title } done }
      stageHistory { from { name } to { name } changedBy { id } }
    }
  }
}
"""
OPPORTUNITIES = """
query($filter: OpportunityFilter) {
  opportunities(first: 50, filter: $filter) { totalCount edges { node { name } } }
}
"""
PIPELINE_REPORT = """
query($pipelineId: ID, $currency: String) {
  pipelineReport(pipelineId: $pipelineId, currency: $currency) {
    pipeline { id }
    currency currencies
    openCount openAmount weightedAmount
    wonCount wonAmount lostCount lostAmount winRate averageDaysToClose
    stages {
      stage { name }
      openCount openAmount weightedAmount
      enteredCount convertedCount conversionRate averageDaysInStage
    }
    forecast { month openCount amount weightedAmount }
    owners {
      owner { id }
      openCount openAmount wonCount wonAmount lostCount lostAmount winRate
    }
  }
}
"""


class Desk:
    """One sales team's calls to the API."""

    def __init__(self, gql: GraphQL, pipeline: dict) -> None:
        self.gql = gql
        self.pipeline = pipeline
        self.stages = {stage["name"]: stage["id"] for stage in pipeline["stages"]}
        self.items = {
            item["title"]: item["id"] for stage in pipeline["stages"] for item in stage["checklist"]
        }

    async def deal(self, account: Account, **fields) -> dict:
        customer_id = fields.pop("customerId")
        return await create_opportunity(
            self.gql, account, customer_id, pipelineId=self.pipeline["id"], **fields
        )

    async def move(self, account: Account, deal: dict, stage: str, reason: str | None = None):
        return await move(self.gql, account, deal["id"], self.stages[stage], reason)

    async def tick(self, account: Account, deal: dict, *titles: str) -> None:
        await tick_ok(self.gql, account, deal["id"], *(self.items[title] for title in titles))

    async def read(self, account: Account, deal: dict) -> dict:
        return (await self.gql.execute(OPPORTUNITY, {"id": deal["id"]}, account.token)).ok()["node"]

    async def names(self, account: Account, **filter_) -> set[str]:
        filter_ = {"pipelineId": self.pipeline["id"], **filter_}
        result = await self.gql.execute(OPPORTUNITIES, {"filter": filter_}, account.token)
        return {edge["node"]["name"] for edge in result.ok()["opportunities"]["edges"]}

    async def report(self, account: Account, currency: str | None = None) -> dict:
        variables = {"pipelineId": self.pipeline["id"], "currency": currency}
        result = await self.gql.execute(PIPELINE_REPORT, variables, account.token)
        return result.ok()["pipelineReport"]


async def test_a_b2b_sales_process_from_first_contact_to_won_and_lost(gql: GraphQL, workspace):
    # given: a manager defines the process, the admin the price list, a rep of the
    # manager's team the customers
    manager = await invite(gql, workspace, "MANAGER")
    rep = await invite(gql, workspace, "REP")
    teams = await make_team_tree(workspace, {"大客户部": None})
    await put_in_team(teams["大客户部"], manager, rep)
    pipeline = {"name": "大客户销售", "isDefault": True, "stages": b2b_stages()}
    payload = await mutate(gql, manager, "createPipeline", input=pipeline)
    assert payload["errors"] == []
    assert payload["pipeline"]["isDefault"] is True
    assert [(s["name"], s["position"]) for s in payload["pipeline"]["stages"]] == [
        ("初步接触", 0),
        ("需求确认", 1),
        ("报价", 2),
        ("合同", 3),
        ("赢单", 4),
        ("输单", 5),
    ]
    desk = Desk(gql, payload["pipeline"])
    licence = await create_product(gql, workspace, "1200.00", name="CRM 专业版（年/用户）")
    rollout = await create_product(gql, workspace, "8000.00", name="实施服务")
    training = await create_product(gql, workspace, "1500.00", name="培训（天）")
    xingchen = await create_customer(gql, rep, name="上海星辰科技有限公司")
    yuanshan = await create_customer(gql, rep, name="杭州远山贸易有限公司")

    # the deals, quoted in products with discounts
    subscription = await desk.deal(
        rep,
        customerId=xingchen["id"],
        name="星辰 CRM 年度订阅",
        expectedCloseDate="2031-02-28",
        lineItems=[
            {"productId": licence["id"], "quantity": "50", "discount": "15"},
            {"productId": rollout["id"], "quantity": "1"},
            {"productId": training["id"], "quantity": "2", "discount": "10"},
        ],
    )
    pilot = await desk.deal(
        rep,
        customerId=yuanshan["id"],
        name="远山 CRM 试点",
        lineItems=[
            {"productId": licence["id"], "quantity": "10", "discount": "5"},
            {"name": "定制报表", "quantity": "1", "unitPrice": "2999.99"},
        ],
    )
    expansion = await desk.deal(  # the admin gives it to the manager: a rep may not
        workspace,
        customerId=xingchen["id"],
        name="星辰 二期扩容",
        ownerId=manager.user_id,
        expectedCloseDate="2031-03-31",
        lineItems=[{"productId": licence["id"], "quantity": "20", "discount": "12.5"}],
    )
    service = await desk.deal(
        rep,
        customerId=yuanshan["id"],
        name="远山 年度培训",
        expectedCloseDate="2031-01-15",
        lineItems=[{"productId": training["id"], "quantity": "7", "discount": "33.33"}],
    )
    overseas = await desk.deal(
        rep, customerId=xingchen["id"], name="星辰 海外试点", amount="5000", currency="USD"
    )

    # when: the rep works the deals
    before_won = datetime.now(UTC)
    blocked = await desk.move(rep, subscription, "需求确认")
    await desk.tick(rep, subscription, "确认决策人")
    steps = [await desk.move(rep, subscription, "需求确认")]
    await desk.tick(rep, subscription, "确认预算", "确认上线时间")
    steps.append(await desk.move(rep, subscription, "报价"))
    await desk.tick(rep, subscription, "发送报价单")
    steps.append(await desk.move(rep, subscription, "合同"))
    unsigned = await desk.move(rep, subscription, "赢单")
    await desk.tick(rep, subscription, "合同盖章")
    steps.append(await desk.move(rep, subscription, "赢单"))

    await desk.tick(rep, pilot, "确认决策人")
    steps.append(await desk.move(rep, pilot, "需求确认"))
    steps.append(await desk.move(rep, pilot, "输单", reason="预算冻结"))

    await desk.tick(rep, expansion, "确认决策人")
    steps.append(await desk.move(rep, expansion, "需求确认"))
    await desk.tick(rep, expansion, "确认预算", "确认上线时间")
    steps.append(await desk.move(rep, expansion, "报价"))
    after_won = datetime.now(UTC)

    # then: the quotes, priced line by line
    #   50 × 1200.00 × (100 − 15)% = 51000.00;  1 × 8000.00 = 8000.00;
    #   2 × 1500.00 × (100 − 10)% = 2700.00      → 61700.00, at 10%: 6170.00
    assert [line["total"] for line in subscription["lineItems"]] == [
        "51000.00",
        "8000.00",
        "2700.00",
    ]
    assert [line["discount"] for line in subscription["lineItems"]] == ["15.00", "0.00", "10.00"]
    assert (subscription["amount"], subscription["weightedAmount"]) == ("61700.00", "6170.00")
    assert subscription["stage"]["name"] == "初步接触"
    #   10 × 1200.00 × 95% = 11400.00;  1 × 2999.99 = 2999.99  → 14399.99, at 10%: 1440.00
    assert [line["total"] for line in pilot["lineItems"]] == ["11400.00", "2999.99"]
    assert (pilot["amount"], pilot["weightedAmount"]) == ("14399.99", "1440.00")
    #   20 × 1200.00 × 87.5% = 21000.00, at 10%: 2100.00; owned by the manager
    assert (expansion["amount"], expansion["weightedAmount"]) == ("21000.00", "2100.00")
    assert expansion["owner"]["id"] == manager.user_id
    #   7 × 1500.00 × 66.67% = 7000.35, at 10%: 700.035 → 700.04 (half up)
    assert (service["amount"], service["weightedAmount"]) == ("7000.35", "700.04")
    assert (overseas["amount"], overseas["currency"]) == ("5000.00", "USD")

    # the checklist held the deal up twice, naming what was missing
    assert [(e["field"], e["code"]) for e in blocked["errors"]] == [("stageId", "CONFLICT")]
    assert "确认决策人" in blocked["errors"][0]["message"]
    assert [(e["field"], e["code"]) for e in unsigned["errors"]] == [("stageId", "CONFLICT")]
    assert "合同盖章" in unsigned["errors"][0]["message"]
    for step in steps:
        assert step["errors"] == [], step["errors"]

    # the won deal
    won = await desk.read(rep, subscription)
    assert (won["status"], won["stage"]["name"], won["lostReason"]) == ("WON", "赢单", None)
    assert before_won <= instant(won["closedAt"]) <= after_won
    assert (won["probability"], won["weightedAmount"]) == (100, "61700.00")
    assert won["checklist"] == []
    assert [(h["from"] and h["from"]["name"], h["to"]["name"]) for h in won["stageHistory"]] == [
        (None, "初步接触"),
        ("初步接触", "需求确认"),
        ("需求确认", "报价"),
        ("报价", "合同"),
        ("合同", "赢单"),
    ]
    assert {h["changedBy"]["id"] for h in won["stageHistory"]} == {rep.user_id}

    # the lost deal, lost from 需求确认 with its checklist undone
    lost = await desk.read(rep, pilot)
    assert (lost["status"], lost["stage"]["name"], lost["lostReason"]) == (
        "LOST",
        "输单",
        "预算冻结",
    )
    assert lost["closedAt"] is not None
    assert lost["weightedAmount"] == "0.00"

    # the deal still open, now at 报价: 21000.00 × 60% = 12600.00
    open_deal = await desk.read(manager, expansion)
    assert (open_deal["status"], open_deal["stage"]["name"]) == ("OPEN", "报价")
    assert (open_deal["probability"], open_deal["weightedAmount"]) == (60, "12600.00")
    assert open_deal["checklist"] == [{"item": {"title": "发送报价单"}, "done": False}]

    # the lists by status
    assert await desk.names(manager, status="WON") == {"星辰 CRM 年度订阅"}
    assert await desk.names(manager, status="LOST") == {"远山 CRM 试点"}
    assert await desk.names(manager, status="OPEN") == {
        "星辰 二期扩容",
        "远山 年度培训",
        "星辰 海外试点",
    }

    # the pipeline report in CNY, everything having happened within its default 90 days
    report = await desk.report(manager)
    assert report["pipeline"]["id"] == desk.pipeline["id"]
    assert (report["currency"], report["currencies"]) == ("CNY", ["CNY", "USD"])
    #   open now: 二期扩容 21000.00 at 报价 (60%: 12600.00) and 年度培训 7000.35 at 初步接触
    #   (10%: 700.04); 21000.00 + 7000.35 = 28000.35; 12600.00 + 700.04 = 13300.04
    assert (report["openCount"], report["openAmount"], report["weightedAmount"]) == (
        2,
        "28000.35",
        "13300.04",
    )
    #   won 61700.00, lost 14399.99: 1 / (1 + 1) = 0.5
    assert (report["wonCount"], report["wonAmount"]) == (1, "61700.00")
    assert (report["lostCount"], report["lostAmount"]) == (1, "14399.99")
    assert report["winRate"] == 0.5
    #   the won deal was created and closed seconds apart: 0.00 days to the hundredth
    assert report["averageDaysToClose"] == 0.0
    #   entries (CNY deals): 初步接触 4 (订阅, 试点, 扩容, 培训), went on: 订阅, 试点, 扩容 → 3/4;
    #   需求确认 3 (订阅, 试点, 扩容), went on to a later non-LOST stage: 订阅, 扩容 → 2/3;
    #   报价 2 (订阅, 扩容), went on: 订阅 → 1/2; 合同 1, won → 1/1; 赢单 1 and 输单 1, → 0.
    #   Stays that ended all lasted seconds (0.0 days); nobody has left 赢单 or 输单 (null).
    stages = [
        (
            s["stage"]["name"],
            s["openCount"],
            s["openAmount"],
            s["weightedAmount"],
            s["enteredCount"],
            s["convertedCount"],
            s["conversionRate"],
            s["averageDaysInStage"],
        )
        for s in report["stages"]
    ]
    assert stages == [
        ("初步接触", 1, "7000.35", "700.04", 4, 3, 0.75, 0.0),
        ("需求确认", 0, "0.00", "0.00", 3, 2, pytest.approx(2 / 3), 0.0),
        ("报价", 1, "21000.00", "12600.00", 2, 1, 0.5, 0.0),
        ("合同", 0, "0.00", "0.00", 1, 1, 1.0, 0.0),
        ("赢单", 0, "0.00", "0.00", 1, 0, 0.0, None),
        ("输单", 0, "0.00", "0.00", 1, 0, 0.0, None),
    ]
    #   open deals by expected month; the won 订阅 (2031-02) is left out
    assert report["forecast"] == [
        {"month": "2031-01", "openCount": 1, "amount": "7000.35", "weightedAmount": "700.04"},
        {"month": "2031-03", "openCount": 1, "amount": "21000.00", "weightedAmount": "12600.00"},
    ]
    #   the rep: open 培训 7000.35, won 61700.00, lost 14399.99 (1 of 2 won);
    #   the manager: open 扩容 21000.00, nothing closed (no win rate)
    assert report["owners"] == [
        {
            "owner": {"id": rep.user_id},
            "openCount": 1,
            "openAmount": "7000.35",
            "wonCount": 1,
            "wonAmount": "61700.00",
            "lostCount": 1,
            "lostAmount": "14399.99",
            "winRate": 0.5,
        },
        {
            "owner": {"id": manager.user_id},
            "openCount": 1,
            "openAmount": "21000.00",
            "wonCount": 0,
            "wonAmount": "0.00",
            "lostCount": 0,
            "lostAmount": "0.00",
            "winRate": None,
        },
    ]

    # and in USD, only the overseas pilot: 5000.00 at 10% = 500.00
    usd = await desk.report(manager, currency="USD")
    assert (usd["openCount"], usd["openAmount"], usd["weightedAmount"]) == (1, "5000.00", "500.00")
    assert (usd["wonCount"], usd["lostCount"], usd["winRate"]) == (0, 0, None)
    assert [(s["stage"]["name"], s["enteredCount"]) for s in usd["stages"]][:2] == [
        ("初步接触", 1),
        ("需求确认", 0),
    ]
