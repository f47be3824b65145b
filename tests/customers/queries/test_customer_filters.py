"""customers(filter: …): each filter on its own, at its boundaries, and all of them together."""

from datetime import UTC, datetime, timedelta, timezone

from api.core.ids import to_global_id
from tests.factories import create_customer, force_customer_columns, invite, log_activity
from tests.helpers import GraphQL

CUSTOMERS = """
query Customers($filter: CustomerFilter) {
  customers(first: 50, filter: $filter) {
    totalCount
    edges { node { id name updatedAt nextFollowUpAt } }
  }
}
"""


async def names(gql: GraphQL, token: str, **flt) -> list[str]:
    """Names found (sorted), after checking that totalCount agrees with the page."""
    result = await gql.execute(CUSTOMERS, {"filter": flt}, token)
    connection = result.ok()["customers"]
    found = [edge["node"]["name"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(found)
    return sorted(found)


def at(moment: datetime) -> str:
    return moment.isoformat()


async def test_no_filter_lists_every_customer_of_the_workspace(
    gql: GraphQL, workspace, other_workspace
):
    # given
    await create_customer(gql, workspace, name="A")
    await create_customer(gql, workspace, name="B")
    await create_customer(gql, other_workspace, name="Theirs")

    # when
    result = await gql.execute(CUSTOMERS, {}, workspace.token)

    # then
    connection = result.ok()["customers"]
    assert connection["totalCount"] == 2
    assert sorted(edge["node"]["name"] for edge in connection["edges"]) == ["A", "B"]


async def test_kind_filter(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="Company", kind="COMPANY")
    await create_customer(gql, workspace, name="Person", kind="PERSON")

    # when / then
    assert await names(gql, workspace.token, kind="PERSON") == ["Person"]
    assert await names(gql, workspace.token, kind="COMPANY") == ["Company"]


async def test_owner_filter(gql: GraphQL, workspace):
    # given
    colleague_id = (await invite(gql, workspace)).user_id
    await create_customer(gql, workspace, name="Mine")
    await create_customer(gql, workspace, name="Theirs", ownerId=colleague_id)

    # when / then
    assert await names(gql, workspace.token, ownerId=workspace.user_id) == ["Mine"]
    assert await names(gql, workspace.token, ownerId=colleague_id) == ["Theirs"]


async def test_foreign_unknown_or_malformed_owner_matches_nothing(
    gql: GraphQL, workspace, other_workspace
):
    # given
    await create_customer(gql, workspace, name="Mine")
    await create_customer(gql, other_workspace, name="Theirs")

    for owner_id in (other_workspace.user_id, to_global_id("User", 2**62), "garbage"):
        # when / then
        assert await names(gql, workspace.token, ownerId=owner_id) == []


async def test_lead_source_filter_is_an_exact_match(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="Fair", leadSource="展会")
    await create_customer(gql, workspace, name="Fair invite", leadSource="展会邀约")
    await create_customer(gql, workspace, name="Unknown")

    # when / then
    assert await names(gql, workspace.token, leadSource="展会") == ["Fair"]
    assert await names(gql, workspace.token, leadSource="邀约") == []


async def test_tag_filter_matches_whole_tags_only(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="VIP only", tags=["VIP"])
    await create_customer(gql, workspace, name="VIP among others", tags=["重点客户", "VIP", "华东"])
    await create_customer(gql, workspace, name="VIP Gold", tags=["VIP Gold"])
    await create_customer(gql, workspace, name="SVIP", tags=["SVIP"])
    await create_customer(gql, workspace, name="No tags")

    # when / then
    assert await names(gql, workspace.token, tag="VIP") == ["VIP among others", "VIP only"]
    assert await names(gql, workspace.token, tag=" VIP ") == ["VIP among others", "VIP only"]
    assert await names(gql, workspace.token, tag="VIP Gold") == ["VIP Gold"]
    assert await names(gql, workspace.token, tag="重点") == []
    assert await names(gql, workspace.token, tag="IP") == []


async def test_tag_filter_is_case_sensitive_like_tags_themselves(gql: GraphQL, workspace):
    # given: tags keep their case ("VIP" and "vip" are two tags)
    await create_customer(gql, workspace, name="Upper", tags=["VIP"])
    await create_customer(gql, workspace, name="Lower", tags=["vip"])

    # when / then: the same answer on PostgreSQL and SQLite
    assert await names(gql, workspace.token, tag="VIP") == ["Upper"]
    assert await names(gql, workspace.token, tag="vip") == ["Lower"]


async def test_tag_filter_normalizes_spaces_as_tags_are_normalized(gql: GraphQL, workspace):
    # given: stored as "华东 区域"
    await create_customer(gql, workspace, name="East", tags=["华东  区域"])

    # when / then: the very string the tag was typed as finds it
    assert await names(gql, workspace.token, tag="华东  区域") == ["East"]
    assert await names(gql, workspace.token, tag="华东 区域") == ["East"]


async def test_tag_filter_never_matches_two_adjacent_tags(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="Two tags", tags=["重点客户", "VIP"])

    # when / then: no tag is called "重点客户\nVIP"
    assert await names(gql, workspace.token, tag="重点客户\nVIP") == []


async def test_min_score_filter_is_inclusive_and_skips_unscored(gql: GraphQL, workspace):
    # given
    for name, score in (("Low", 10.0), ("Edge", 50.0), ("High", 50.5), ("Unscored", None)):
        await force_customer_columns(
            (await create_customer(gql, workspace, name=name))["id"], score=score
        )

    # when / then
    assert await names(gql, workspace.token, minScore=50) == ["Edge", "High"]
    assert await names(gql, workspace.token, minScore=0) == ["Edge", "High", "Low"]
    assert await names(gql, workspace.token, minScore=100) == []


async def test_follow_up_due_before_filter(gql: GraphQL, workspace):
    # given
    now = datetime.now(UTC).replace(microsecond=0)
    soon, later = now + timedelta(days=1), now + timedelta(days=3)
    await log_activity(
        gql,
        workspace,
        (await create_customer(gql, workspace, name="Soon"))["id"],
        nextFollowUpAt=at(soon),
    )
    await log_activity(
        gql,
        workspace,
        (await create_customer(gql, workspace, name="Later"))["id"],
        nextFollowUpAt=at(later),
    )
    await log_activity(
        gql, workspace, (await create_customer(gql, workspace, name="No follow-up"))["id"]
    )

    # when / then
    assert await names(gql, workspace.token, followUpDueBefore=at(now)) == []
    assert await names(gql, workspace.token, followUpDueBefore=at(soon + timedelta(hours=1))) == [
        "Soon"
    ]
    assert await names(gql, workspace.token, followUpDueBefore=at(now + timedelta(days=30))) == [
        "Later",
        "Soon",
    ]


async def test_follow_up_due_before_includes_the_instant_itself_in_any_offset(
    gql: GraphQL, workspace
):
    # given
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    await log_activity(
        gql,
        workspace,
        (await create_customer(gql, workspace, name="Due"))["id"],
        nextFollowUpAt=at(due),
    )
    shanghai = due.astimezone(timezone(timedelta(hours=8)))

    # when / then
    assert await names(gql, workspace.token, followUpDueBefore=at(due)) == ["Due"]
    assert await names(gql, workspace.token, followUpDueBefore=at(shanghai)) == ["Due"]
    before = shanghai - timedelta(seconds=1)
    assert await names(gql, workspace.token, followUpDueBefore=at(before)) == []


async def test_updated_since_filter(gql: GraphQL, workspace):
    # given
    await create_customer(gql, workspace, name="Old")
    await create_customer(gql, workspace, name="New")
    rows = (await gql.execute(CUSTOMERS, {}, workspace.token)).ok()["customers"]["edges"]
    updated = {edge["node"]["name"]: edge["node"]["updatedAt"] for edge in rows}
    assert updated["New"] > updated["Old"]

    # when / then: "at or after"
    assert await names(gql, workspace.token, updatedSince=updated["New"]) == ["New"]
    assert await names(gql, workspace.token, updatedSince=updated["Old"]) == ["New", "Old"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert await names(gql, workspace.token, updatedSince=at(future)) == []


async def test_updated_since_sees_an_update(gql: GraphQL, workspace):
    # given
    first = (await create_customer(gql, workspace, name="First"))["id"]
    await create_customer(gql, workspace, name="Second")
    rows = (await gql.execute(CUSTOMERS, {}, workspace.token)).ok()["customers"]["edges"]
    mark = max(edge["node"]["updatedAt"] for edge in rows)

    # when
    await log_activity(gql, workspace, first)

    # then
    assert await names(gql, workspace.token, updatedSince=mark) == ["First", "Second"]
    later = (datetime.fromisoformat(mark) + timedelta(microseconds=1)).isoformat()
    assert await names(gql, workspace.token, updatedSince=later) == ["First"]


async def test_filters_combine_with_and(gql: GraphQL, workspace):
    # given: one customer matching every filter, and one for each filter it fails
    colleague_id = (await invite(gql, workspace)).user_id
    base = {"kind": "PERSON", "tags": ["VIP"], "leadSource": "展会", "ownerId": colleague_id}
    rows = [
        ("王 Match", {}, 80.0),
        ("王 Wrong kind", {"kind": "COMPANY"}, 80.0),
        ("王 Wrong tag", {"tags": ["普通"]}, 80.0),
        ("王 Wrong source", {"leadSource": "官网"}, 80.0),
        ("王 Wrong owner", {"ownerId": workspace.user_id}, 80.0),
        ("王 Low score", {}, 10.0),
        ("李 Wrong name", {}, 80.0),
    ]
    for name, override, score in rows:
        customer_id = (await create_customer(gql, workspace, **{**base, **override, "name": name}))[
            "id"
        ]
        await force_customer_columns(customer_id, score=score)
    flt = {
        "search": "王",
        "kind": "PERSON",
        "tag": "VIP",
        "leadSource": "展会",
        "ownerId": colleague_id,
        "minScore": 50,
    }

    # when
    found = await names(gql, workspace.token, **flt)

    # then
    assert found == ["王 Match"]
    for dropped in flt:  # and each filter, left out, lets its own misfit back in
        assert (
            len(await names(gql, workspace.token, **{k: v for k, v in flt.items() if k != dropped}))
            == 2
        )
