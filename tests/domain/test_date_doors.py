"""The domain refuses dates and instants outside 1900-2200 whatever door they come by
(the GraphQL scalars refuse them first; imports, workers and scripts call these)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.activities import ActivityData, log_activity
from domain.errors import DomainError
from domain.opportunities import OpportunityData, create_opportunity, update_opportunity
from domain.reports import report_period
from domain.viewer import Viewer
from models import Opportunity
from models.enums import ActivityKind
from tests.factories import domain_customer, viewer_of
from tests.helpers import Account

FAR = [date(9999, 12, 31), date(1, 1, 1), date(1899, 12, 31), date(2201, 1, 1)]


@pytest.fixture
async def viewer(workspace: Account) -> Viewer:
    return await viewer_of(workspace)


def _fields(refused: pytest.ExceptionInfo[DomainError]) -> list[str | None]:
    return [problem.field for problem in refused.value.problems]


@pytest.mark.parametrize("day", FAR, ids=str)
async def test_a_deal_closing_in_a_far_year_is_refused(viewer: Viewer, day: date):
    # given
    buyer = await domain_customer(viewer, "远方")
    deal = await create_opportunity(viewer, OpportunityData(buyer.id, "合同"))

    # when
    with pytest.raises(DomainError) as on_create:
        await create_opportunity(viewer, OpportunityData(buyer.id, "万年", expected_close_date=day))
    with pytest.raises(DomainError) as on_update:
        await update_opportunity(viewer, deal.id, {"expected_close_date": day})

    # then
    assert _fields(on_create) == _fields(on_update) == ["input.expectedCloseDate"]
    assert await Opportunity.filter(workspace_id=viewer.workspace_id).count() == 1
    assert (await Opportunity.get(id=deal.id)).expected_close_date is None


async def test_an_activity_in_a_far_year_is_refused(viewer: Viewer):
    # given
    buyer = await domain_customer(viewer, "远方")
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)

    # when
    with pytest.raises(DomainError) as refused:
        await log_activity(
            viewer,
            ActivityData(
                buyer.id,
                ActivityKind.CALL,
                "电话",
                occurred_at=datetime(1, 1, 1),
                next_follow_up_at=far,
            ),
        )

    # then
    assert _fields(refused) == ["input.occurredAt", "input.nextFollowUpAt"]


def test_a_report_period_in_a_far_year_is_refused():
    with pytest.raises(DomainError) as refused:
        report_period(datetime(1, 1, 1), datetime.max)
    assert _fields(refused) == ["from", "to"]
