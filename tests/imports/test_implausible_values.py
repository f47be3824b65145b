"""Import cells with dates outside the years 1900-2200, or numbers that are not plain
decimals: a row error naming the cell, while the other rows land."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from domain.custom_fields import CustomFieldData, define_custom_field
from domain.imports.activity_rows import apply_activity_rows
from domain.imports.opportunity_rows import apply_opportunity_rows
from domain.imports.values import parse_amount, parse_day, parse_instant, parse_percentage
from domain.viewer import Viewer
from models import Activity, Opportunity
from models.enums import CustomFieldEntity, CustomFieldType, ImportMode
from tests.factories import domain_customer, viewer_of
from tests.helpers import Account
from tests.imports.kinds import apply_rows, failures

FAR_DATES = ["9999-12-31", "0001-01-01", "1899-12-31 23:00", "2201/1/1", "9999年12月31日"]


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


@pytest.mark.parametrize("text", FAR_DATES)
def test_a_far_date_is_a_message_not_a_value(text):
    assert parse_day(text) == (None, f"“{text}” is not a date between the years 1900 and 2200.")
    instant, message = parse_instant(text, ZoneInfo("Asia/Shanghai"))
    assert instant is None and "between the years 1900 and 2200" in message


def test_a_date_at_the_edge_of_the_range_is_read():
    assert parse_day("1900-01-01") == (date(1900, 1, 1), None)
    assert parse_day("2200-12-31") == (date(2200, 12, 31), None)
    # 2200-12-31 23:30 in New York is already 2201 in UTC
    assert parse_instant("2200-12-31 23:30", ZoneInfo("America/New_York"))[0] is None


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "0x10", "1_000", "1" * 200])
def test_numbers_that_are_not_plain_decimals_are_messages(text):
    assert parse_amount(text) == (None, f"“{text}” is not an amount.")
    assert parse_percentage(text)[0] is None


async def test_deals_with_far_dates_fail_at_their_cells(viewer: Viewer):
    # given
    await domain_customer(viewer, "远方")
    await define_custom_field(
        viewer,
        CustomFieldData(CustomFieldEntity.OPPORTUNITY, "signed_on", "签约日", CustomFieldType.DATE),
    )

    def deal(name: str, **cells: str) -> dict[str, str | None]:
        return {"customer.name": "远方", "name": name} | cells

    # when
    result = await apply_rows(
        apply_opportunity_rows,
        viewer,
        [
            deal("正常", expectedCloseDate="2030-06-30"),
            deal("万年", expectedCloseDate="9999-12-31"),
            deal("元年", expectedCloseDate="0001-01-01"),
            deal("签约", **{"customFields.signed_on": "9999-12-31"}),
            deal("无穷", amount="Infinity"),
            deal("十六进制", amount="0x10"),
        ],
        mode=ImportMode.CREATE,
        match_on=("externalId", "name"),
    )

    # then
    assert result.created == 1
    assert failures(result) == {
        (2, "expectedCloseDate"),
        (3, "expectedCloseDate"),
        (4, "customFields.signed_on"),
        (5, "amount"),
        (6, "amount"),
    }
    stored = await Opportunity.filter(workspace_id=viewer.workspace_id).values_list(
        "expected_close_date", flat=True
    )
    assert stored == [date(2030, 6, 30)]


async def test_activities_with_far_times_fail_at_their_cells(viewer: Viewer):
    # given
    await domain_customer(viewer, "远方")

    def activity(content: str, **cells: str) -> dict[str, str | None]:
        return {
            "customer.name": "远方",
            "occurredAt": "2026-03-05 10:00",
            "content": content,
        } | cells

    # when
    result = await apply_rows(
        apply_activity_rows,
        viewer,
        [
            activity("正常"),
            activity("万年", occurredAt="9999-12-31 23:59"),
            activity("跟进", nextFollowUpAt="9999-12-31"),
            activity("元年", occurredAt="0001-01-01T00:00:00Z"),
        ],
        mode=ImportMode.CREATE,
        match_on=("externalId", "content"),
    )

    # then
    assert result.created == 1
    assert failures(result) == {(2, "occurredAt"), (3, "nextFollowUpAt"), (4, "occurredAt")}
    assert await Activity.filter(workspace_id=viewer.workspace_id).count() == 1
