"""Sessions: each sign-in opens one (a `UserSession` its token names); `logout` ends it,
`logoutEverywhere` ends all the user's, deactivating a user ends theirs. An ended session's
token is REVOKED; the lookup reads the session and its user in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.settings import get_settings
from domain.accounts import Authenticator
from domain.sessions import still_acting
from domain.viewer import Viewer
from models import ApiKey, UserSession
from tests.documents import document
from tests.factories import create_api_key, gid, invite, mutate, mutate_ok, pk
from tests.helpers import Account, GraphQL, count_queries

VIEWER = "{ viewer { id } }"


async def _sign_in_again(gql: GraphQL, account: Account) -> str:
    return (await mutate_ok(gql, None, "login", email=account.email, password=account.password))[
        "token"
    ]


def _revoked(result) -> bool:
    return result.data is None and [e["extensions"] for e in result.errors] == [
        {"code": "UNAUTHENTICATED", "reason": "REVOKED"}
    ]


async def test_each_sign_in_opens_a_session(gql: GraphQL, workspace: Account):
    # given: signed up (one session), then signed in on a second device
    second = await _sign_in_again(gql, workspace)

    # when
    listed = (await gql.execute(document("sessions"), token=second)).ok()["sessions"]

    # then: newest first, the one asking marked
    assert [session["current"] for session in listed] == [True, False]
    assert await UserSession.filter(user_id=pk(workspace.user_id)).count() == 2


async def test_logout_ends_that_session_only(gql: GraphQL, workspace: Account):
    # given: two sessions
    other = await _sign_in_again(gql, workspace)

    # when
    payload = await mutate(gql, workspace, "logout")

    # then
    assert payload == {"endedSessions": 1, "errors": []}
    assert _revoked(await gql.execute(VIEWER, token=workspace.token))
    assert (await gql.execute(VIEWER, token=other)).ok() == {"viewer": {"id": workspace.user_id}}


async def test_logout_everywhere_ends_every_session(gql: GraphQL, workspace: Account):
    # given: three sessions, and a colleague's
    others = [await _sign_in_again(gql, workspace) for _ in range(2)]
    colleague = await invite(gql, workspace, "REP")

    # when
    payload = await mutate(gql, others[0], "logoutEverywhere")

    # then: each of the user's is refused; the colleague's goes on
    assert payload == {"endedSessions": 3, "errors": []}
    for token in (workspace.token, *others):
        assert _revoked(await gql.execute(VIEWER, token=token))
    assert (await gql.execute(VIEWER, token=colleague.token)).ok()


async def test_a_new_sign_in_after_logout_everywhere_works(gql: GraphQL, workspace: Account):
    # given
    await mutate_ok(gql, workspace, "logoutEverywhere")

    # when
    token = await _sign_in_again(gql, workspace)

    # then
    assert (await gql.execute(VIEWER, token=token)).ok() == {"viewer": {"id": workspace.user_id}}


async def test_a_key_has_no_session_to_end(gql: GraphQL, workspace: Account):
    # given
    key = (await mutate_ok(gql, workspace, "createApiKey", name="ERP", role="ADMIN"))["secret"]

    # when
    logout = await mutate(gql, key, "logout")
    everywhere = await mutate(gql, key, "logoutEverywhere")

    # then: neither ends the sessions of the user it acts as
    assert [e["code"] for e in logout["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in everywhere["errors"]] == ["FORBIDDEN"]
    assert (await gql.execute(VIEWER, token=workspace.token)).ok()


async def test_deactivating_a_user_ends_their_sessions_and_revokes_their_keys(
    gql: GraphQL, workspace: Account
):
    # given: a rep signed in twice, and a key acting as them
    rep = await invite(gql, workspace, "REP")
    second = await _sign_in_again(gql, rep)
    key = (await mutate_ok(gql, workspace, "createApiKey", name="ERP", actsAsUserId=rep.user_id))[
        "secret"
    ]

    # when
    payload = await mutate(gql, workspace, "deactivateUser", id=rep.user_id)

    # then
    assert payload == {"user": {"id": rep.user_id}, "errors": []}
    for token in (rep.token, second, key):
        assert _revoked(await gql.execute(VIEWER, token=token))
    assert not await UserSession.filter(user_id=pk(rep.user_id), ended_at=None).exists()
    [listed] = (await gql.execute(document("apiKeys"), {"first": 5}, workspace.token)).ok()[
        "apiKeys"
    ]["edges"]
    assert listed["node"]["revokedAt"] is not None
    refused = await mutate(gql, None, "login", email=rep.email, password=rep.password)
    assert refused["token"] is None


async def test_only_an_admin_deactivates_and_not_themselves(gql: GraphQL, workspace: Account):
    # given
    manager = await invite(gql, workspace, "MANAGER")
    stranger = await gql.sign_up()

    # when
    by_manager = await mutate(gql, manager, "deactivateUser", id=workspace.user_id)
    themselves = await mutate(gql, workspace, "deactivateUser", id=workspace.user_id)
    elsewhere = await mutate(gql, workspace, "deactivateUser", id=stranger.user_id)

    # then
    assert [e["code"] for e in by_manager["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in themselves["errors"]] == ["FORBIDDEN"]
    assert [(e["field"], e["code"]) for e in elsewhere["errors"]] == [("id", "NOT_FOUND")]
    assert (await gql.execute(VIEWER, token=stranger.token)).ok()


async def test_a_session_lookup_is_one_statement(gql: GraphQL, workspace: Account):
    # given: a session used a moment ago
    (await gql.execute(VIEWER, token=workspace.token)).ok()

    # when
    with count_queries() as statements:
        (await gql.execute("{ __typename }", token=workspace.token)).ok()

    # then: the session joined to its user, nothing written
    assert len(statements) == 1, statements
    assert "user_session" in statements[0] and "app_user" in statements[0]


async def test_a_session_use_is_recorded_at_most_once_a_minute(gql: GraphQL, workspace: Account):
    # given: last used five minutes ago
    session = await UserSession.get(user_id=pk(workspace.user_id))
    earlier = datetime.now(UTC) - timedelta(minutes=5)
    await UserSession.filter(id=session.id).update(last_used_at=earlier)

    # when: two requests
    (await gql.execute(VIEWER, token=workspace.token)).ok()
    after_first = (await UserSession.get(id=session.id)).last_used_at
    (await gql.execute(VIEWER, token=workspace.token)).ok()
    after_second = (await UserSession.get(id=session.id)).last_used_at

    # then: the first wrote, the second (within the minute) did not
    assert after_first is not None and after_first > earlier + timedelta(minutes=4)
    assert after_second == after_first


async def test_another_users_session_is_not_listed_or_found(gql: GraphQL, workspace: Account):
    # given
    stranger = await gql.sign_up()
    [theirs] = (await gql.execute(document("sessions"), token=stranger.token)).ok()["sessions"]

    # when
    found = await gql.execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": theirs["id"]}, workspace.token
    )
    mine = (await gql.execute(document("sessions"), token=workspace.token)).ok()["sessions"]

    # then
    assert found.ok() == {"node": None}
    assert theirs["id"] not in [session["id"] for session in mine]


async def test_a_long_lived_connection_learns_when_its_credential_stops_acting(
    gql: GraphQL, workspace: Account
):
    # given: a rep's session and a key acting as them, as a WebSocket holds their viewers
    authenticator = Authenticator(get_settings().secret_key, timedelta(hours=1))
    rep = await invite(gql, workspace, "REP")
    key = await create_api_key(gql, workspace, name="同步", actsAsUserId=rep.user_id)
    session = await authenticator.authenticate(rep.token)
    keyed = await authenticator.authenticate(key)
    other = await authenticator.authenticate(workspace.token)
    assert all(isinstance(v, Viewer) for v in (session, keyed, other))
    assert await still_acting(session) and await still_acting(keyed)

    # when: the rep logs out; then the key is revoked
    await mutate_ok(gql, rep, "logout")
    after_logout = (await still_acting(session), await still_acting(keyed))
    [key_id] = await ApiKey.filter(acts_as_id=pk(rep.user_id)).values_list("id", flat=True)
    await mutate_ok(gql, workspace, "revokeApiKey", id=gid("ApiKey", key_id))

    # then: each stops when its own credential does; the admin's session goes on
    assert after_logout == (False, True)
    assert not await still_acting(keyed)
    assert await still_acting(other)
