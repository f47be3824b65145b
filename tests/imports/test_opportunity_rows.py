"""The opportunity row applier, on the real database: stages, closing, matching, failures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.custom_fields import CustomFieldData, define_custom_field
from domain.imports.cells import ChunkResult
from domain.imports.opportunity_rows import apply_opportunity_rows
from domain.opportunities import LineItemData, OpportunityData, create_opportunity
from domain.pipelines import (
    ChecklistItemData,
    StageData,
    add_checklist_item,
    add_stage,
    create_pipeline,
    remove_stage,
)
from domain.viewer import Viewer
from models import Opportunity, Stage, StageChange, Workspace
from models.enums import (
    CustomFieldEntity,
    CustomFieldType,
    ImportMode,
    OpportunityStatus,
    StageKind,
)
from tests.factories import domain_customer, viewer_of
from tests.helpers import Account, GraphQL, count_queries
from tests.imports.kinds import apply_rows, failures


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


async def apply(
    viewer: Viewer,
    rows: list[dict[str, str | None]],
    *,
    mode: ImportMode = ImportMode.UPSERT,
    match_on: tuple[str, ...] = ("externalId", "name"),
    first_row: int = 1,
) -> ChunkResult:
    return await apply_rows(
        apply_opportunity_rows, viewer, rows, mode=mode, match_on=match_on, first_row=first_row
    )


async def deals(viewer: Viewer) -> list[Opportunity]:
    return await Opportunity.filter(workspace_id=viewer.workspace_id).order_by("id")


async def stage_named(viewer: Viewer, name: str) -> Stage:
    return await Stage.get(workspace_id=viewer.workspace_id, name=name, archived_at=None)


async def history(deal: Opportunity) -> list[tuple[str | None, str]]:
    changes = await StageChange.filter(opportunity_id=deal.id).order_by("id")
    names = {s.id: s.name for s in await Stage.filter(workspace_id=deal.workspace_id)}
    return [(names.get(c.from_stage_id), names[c.to_stage_id]) for c in changes]


async def test_a_new_deal_lands_as_create_opportunity_would_put_it(viewer: Viewer):
    # given
    await Workspace.filter(id=viewer.workspace_id).update(default_currency="USD")
    await domain_customer(viewer, "云帆科技")

    # when
    result = await apply(viewer, [{"customer.name": "云帆科技", "name": "年度合同"}])

    # then: the default pipeline's first open stage, the workspace's currency, its importer
    assert (result.created, result.failures) == (1, [])
    (deal,) = await deals(viewer)
    qualification = await stage_named(viewer, "Qualification")
    assert (deal.stage_id, deal.pipeline_id, deal.status) == (
        qualification.id,
        qualification.pipeline_id,
        OpportunityStatus.OPEN,
    )
    assert (deal.amount, deal.currency, deal.owner_id, deal.closed_at) == (
        Decimal("0.00"),
        "USD",
        viewer.user_id,
        None,
    )
    assert deal.stage_entered_at is not None
    assert await history(deal) == [(None, "Qualification")]


async def test_named_pipelines_stages_and_values_are_read_from_text(viewer: Viewer):
    # given: a second pipeline, and an opportunity custom field
    await create_pipeline(
        viewer,
        name="续约流程",
        is_default=False,
        stages=[
            StageData("沟通", 30),
            StageData("赢单", 100, StageKind.WON),
            StageData("输单", 0, StageKind.LOST),
        ],
    )
    await define_custom_field(
        viewer,
        CustomFieldData(CustomFieldEntity.OPPORTUNITY, "source", "来源", CustomFieldType.TEXT),
    )
    await domain_customer(viewer, "A", external_id="A-1")

    # when
    result = await apply(
        viewer,
        [
            {
                "customer.externalId": "A-1",
                "name": "续约 2026",
                "pipeline": "续约流程",
                "stage": "赢单",
                "amount": "¥1,234.5",
                "currency": "usd",
                "expectedCloseDate": "2026/3/31",
                "probability": "35%",
                "owner": "Ada 管理员",
                "customFields.source": "老客户",
            },
            {"customer.externalId": "A-1", "name": "丢了的", "stage": "Lost"},
        ],
    )

    # then: a deal landing in a WON or LOST stage is closed
    assert result.failures == []
    won, lost = await deals(viewer)
    assert (won.status, won.amount, won.currency, str(won.expected_close_date)) == (
        OpportunityStatus.WON,
        Decimal("1234.50"),
        "USD",
        "2026-03-31",
    )
    assert (won.probability_override, won.owner_id, won.custom_fields) == (
        35,
        viewer.user_id,
        {"source": "老客户"},
    )
    assert won.closed_at is not None and won.closed_at == won.stage_entered_at
    assert await history(won) == [(None, "赢单")]
    assert (lost.status, lost.closed_at is not None) == (OpportunityStatus.LOST, True)


async def test_unknown_and_removed_stages_fail_listing_the_valid_ones(viewer: Viewer):
    # given: the "Quote" stage removed from the default pipeline
    await domain_customer(viewer, "A")
    await remove_stage(viewer, (await stage_named(viewer, "Quote")).id, None)

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "一", "stage": "Quote"},
            {"customer.name": "A", "name": "二", "stage": "谈判"},
            {"customer.name": "A", "name": "三", "pipeline": "没有的流程"},
        ],
    )

    # then
    assert failures(result) == {(1, "stage"), (2, "stage"), (3, "pipeline")}
    messages = [f.message for f in result.failures]
    valid = "“Qualification”, “Needs analysis”, “Contract”, “Won”, “Lost”"
    assert messages[0] == f"“Quote” was removed from “Sales”: use {valid}."
    assert messages[1] == f"“谈判” is not a stage of “Sales”: use {valid}."
    assert await deals(viewer) == []


async def test_a_stage_is_named_in_any_case_among_the_live_stages_of_its_pipeline(
    viewer: Viewer,
):
    # given: "Quote" removed from the default pipeline and added again, and a second
    # pipeline with a "Quote" of its own
    await domain_customer(viewer, "A")
    removed = await stage_named(viewer, "Quote")
    await remove_stage(viewer, removed.id, None)
    await add_stage(viewer, removed.pipeline_id, StageData("Quote", 60), None)
    closing = [StageData("赢单", 100, StageKind.WON), StageData("输单", 0, StageKind.LOST)]
    renewals = await create_pipeline(
        viewer, name="续约流程", is_default=False, stages=[StageData("Quote", 30), *closing]
    )

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "一", "stage": "qUOTE"},
            {"customer.name": "A", "name": "二", "pipeline": "续约流程", "stage": "QUOTE"},
            {"customer.name": "A", "name": "三", "stage": "won"},
        ],
    )

    # then: each lands in the live stage of that name in its own pipeline
    assert result.failures == []
    quotes = await Stage.filter(workspace_id=viewer.workspace_id, name="Quote", archived_at=None)
    live_quote = {stage.pipeline_id: stage.id for stage in quotes}
    one, two, three = await deals(viewer)
    assert one.stage_id == live_quote[removed.pipeline_id] != removed.id
    assert two.stage_id == live_quote[renewals.id]
    assert three.stage_id == (await stage_named(viewer, "Won")).id


async def test_bad_values_fail_with_their_fields_while_the_others_land(viewer: Viewer):
    # given
    await domain_customer(viewer, "A")
    await define_custom_field(
        viewer,
        CustomFieldData(
            CustomFieldEntity.OPPORTUNITY, "level", "级别", CustomFieldType.SELECT, ["A", "B"]
        ),
    )

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "好的", "amount": "100"},
            {"customer.name": "A", "name": "负数", "amount": "-5"},
            {"customer.name": "A", "name": "不是数", "amount": "一百"},
            {"customer.name": "A", "name": "太大", "amount": "1e20"},
            {"customer.name": "A", "name": "币种", "currency": "RMB1"},
            {"customer.name": "A", "name": "日期", "expectedCloseDate": "下个月"},
            {"customer.name": "A", "name": "概率", "probability": "120"},
            {"customer.name": "A", "name": "负责人", "owner": "nobody"},
            {"customer.name": "A", "name": "级别", "customFields.level": "C"},
            {"customer.name": "A", "amount": "5"},
            {"customer.name": "Z", "name": "没客户"},
        ],
        mode=ImportMode.CREATE,
    )

    # then
    assert result.created == 1
    assert failures(result) == {
        (2, "amount"),
        (3, "amount"),
        (4, "amount"),
        (5, "currency"),
        (6, "expectedCloseDate"),
        (7, "probability"),
        (8, "owner"),
        (9, "customFields.level"),
        (10, "name"),
        (11, "customer.name"),
    }
    assert [(d.name, d.amount) for d in await deals(viewer)] == [("好的", Decimal("100.00"))]


async def test_matched_deals_move_through_stages_as_move_opportunity_moves_them(viewer: Viewer):
    # given: a deal in Qualification, whose checklist requires an item
    a = await domain_customer(viewer, "A")
    deal = await create_opportunity(viewer, OpportunityData(customer_id=a.id, name="年度合同"))
    qualification = await stage_named(viewer, "Qualification")
    await add_checklist_item(viewer, qualification.id, ChecklistItemData("确认预算", required=True))

    # when: a forward move waits for the checklist; losing never does
    blocked = await apply(viewer, [{"customer.name": "A", "name": "年度合同", "stage": "Quote"}])
    lost = await apply(
        viewer, [{"customer.name": "a", "name": "年度合同", "stage": "Lost", "amount": "900"}]
    )

    # then
    assert [(f.field, f.message) for f in blocked.failures] == [
        ("stage", "Finish the checklist of “Qualification” first: 确认预算.")
    ]
    assert (lost.updated, lost.failures) == (1, [])
    stored = await Opportunity.get(id=deal.id)
    assert (stored.status, stored.amount, stored.closed_at is not None) == (
        OpportunityStatus.LOST,
        Decimal("900.00"),
        True,
    )
    assert stored.updated_at > deal.updated_at

    # when: reopened
    await apply(viewer, [{"customer.name": "A", "name": "年度合同", "stage": "Contract"}])

    # then: open again, without a close date
    stored = await Opportunity.get(id=deal.id)
    assert (stored.status, stored.closed_at) == (OpportunityStatus.OPEN, None)
    assert await history(stored) == [
        (None, "Qualification"),
        ("Qualification", "Lost"),
        ("Lost", "Contract"),
    ]


async def test_a_deal_created_by_an_earlier_row_moves_by_the_same_rules(viewer: Viewer):
    # given
    await domain_customer(viewer, "A")
    qualification = await stage_named(viewer, "Qualification")
    await add_checklist_item(viewer, qualification.id, ChecklistItemData("确认预算", required=True))

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "新商机"},
            {"customer.name": "A", "name": "新商机", "stage": "Contract"},
            {"customer.name": "A", "name": "新商机", "stage": "Lost"},
        ],
    )

    # then: created, held back by the checklist, then lost
    assert (result.created, result.updated) == (1, 1)
    assert failures(result) == {(2, "stage")}
    (deal,) = await deals(viewer)
    assert deal.status == OpportunityStatus.LOST
    assert await history(deal) == [(None, "Qualification"), ("Qualification", "Lost")]


async def test_modes_and_matching_by_customer_name_and_pipeline(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A")
    b = await domain_customer(viewer, "B")
    await create_opportunity(viewer, OpportunityData(customer_id=a.id, name="年度合同"))
    rows = [
        {"customer.name": "A", "name": "年度合同", "amount": "500"},
        # the same name at another customer is another deal
        {"customer.name": "B", "name": "年度合同", "amount": "700"},
    ]

    # when
    create = await apply(viewer, rows, mode=ImportMode.CREATE)
    update = await apply(
        viewer, [*rows, {"customer.name": "A", "name": "新的"}], mode=ImportMode.UPDATE
    )
    upsert = await apply(
        viewer,
        [
            {"customer.name": "A", "name": "新的"},
            {"customer.name": "A", "name": "新的", "amount": "1"},
        ],
    )

    # then
    assert (create.created, create.skipped) == (1, 1)
    assert (update.updated, update.skipped) == (2, 1)
    assert (upsert.created, upsert.updated) == (1, 1)
    assert [(d.customer_id, d.name, d.amount) for d in await deals(viewer)] == [
        (a.id, "年度合同", Decimal("500.00")),
        (b.id, "年度合同", Decimal("700.00")),
        (a.id, "新的", Decimal("1.00")),
    ]


async def test_external_ids_identify_deals_and_stay_unique(viewer: Viewer):
    # given
    await domain_customer(viewer, "A")
    await domain_customer(viewer, "B")
    await apply(viewer, [{"customer.name": "A", "externalId": "D-1", "name": "旧名"}])

    # when
    result = await apply(
        viewer,
        [
            {"customer.name": "A", "externalId": "D-1", "name": "新名"},
            {"customer.name": "B", "externalId": "D-1", "name": "搬家"},
            {"customer.name": "A", "externalId": "D-2", "name": "新名"},
        ],
        match_on=("externalId",),
    )

    # then: renamed; not moved to another customer, nor renamed again by the same file;
    # a new deal may not reuse the id
    assert result.updated == 1
    assert failures(result) == {(2, "customer.name"), (2, "name")}
    assert [(d.external_id, d.name) for d in await deals(viewer)] == [
        ("D-1", "新名"),
        ("D-2", "新名"),
    ]

    # when: matching by name, another deal may not take D-1
    clash = await apply(
        viewer, [{"customer.name": "B", "externalId": "D-1", "name": "别的"}], match_on=("name",)
    )

    # then
    assert failures(clash) == {(1, "externalId")}


async def test_the_amount_of_a_quoted_deal_is_its_lines(viewer: Viewer):
    # given
    a = await domain_customer(viewer, "A")
    await create_opportunity(
        viewer,
        OpportunityData(
            customer_id=a.id,
            name="报价单",
            line_items=[LineItemData(quantity=Decimal(2), name="服务", unit_price=Decimal(50))],
        ),
    )

    # when
    result = await apply(viewer, [{"customer.name": "A", "name": "报价单", "amount": "1"}])

    # then
    assert failures(result) == {(1, "amount")}
    assert [d.amount for d in await deals(viewer)] == [Decimal("100.00")]


async def test_a_link_never_reaches_another_workspaces_customer(viewer: Viewer, gql: GraphQL):
    # given
    other = await viewer_of(await gql.sign_up())
    theirs = await domain_customer(other, "同名", external_id="X-1", phone="13800000009")

    # when
    result = await apply(
        viewer,
        [
            {"customer.externalId": "X-1", "name": "a"},
            {"customer.phone": "13800000009", "name": "b"},
            {"customer.name": "同名", "name": "c"},
        ],
    )

    # then
    assert failures(result) == {
        (1, "customer.externalId"),
        (2, "customer.phone"),
        (3, "customer.name"),
    }
    assert await Opportunity.filter(customer_id=theirs.id).count() == 0


def _rows(count: int, prefix: str, stage: str) -> list[dict[str, str | None]]:
    return [
        {
            "customer.externalId": f"{prefix}-C{i % 7}",
            "externalId": f"{prefix}-D{i}",
            "name": f"{prefix} 商机 {i}",
            "stage": stage,
            "amount": f"{1000 + i}.5",
            "currency": "CNY",
            "expectedCloseDate": "2026-06-30",
            "probability": "40",
            "owner": "Ada 管理员",
        }
        for i in range(count)
    ]


async def test_a_chunk_costs_the_same_statements_whatever_its_size(viewer: Viewer):
    counts = []
    for size in (10, 200):
        # given: half of the deals exist, in Qualification; the chunk moves them on
        prefix = f"s{size}"
        for i in range(7):
            await domain_customer(viewer, f"{prefix} {i}", external_id=f"{prefix}-C{i}")
        await apply(viewer, _rows(size, prefix, "Qualification")[: size // 2])

        # when
        with count_queries() as statements:
            result = await apply(viewer, _rows(size, prefix, "Won"))

        # then
        assert result.failures == []
        assert (result.created, result.updated) == (size - size // 2, size // 2)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 15, counts
