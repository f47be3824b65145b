"""The scoring rules alone: facts in, points and reasons out, as of a pinned instant."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.scoring import CustomerFacts, score
from domain.scoring.rules import (
    CONTACT_POINTS,
    EMAIL_POINTS,
    FREQUENCY_POINTS,
    MAX_SCORE,
    OPEN_DEAL_POINTS,
    OWNER_POINTS,
    PHONE_POINTS,
    RECENCY_POINTS,
    RECENT_WIN_POINTS,
)

NOW = datetime(2030, 6, 15, 9, 30, tzinfo=UTC)
FRESH = CustomerFacts()
ACTIVE = CustomerFacts(
    last_activity_at=NOW - timedelta(days=3, hours=2),
    recent_activities=5,
    open_deals=2,
    best_stage="Contract",
    best_probability=80,
    recent_wins=1,
    has_phone=True,
    has_email=True,
    contacts=2,
    has_owner=True,
)
FULL = replace(ACTIVE, last_activity_at=NOW, recent_activities=10, best_probability=100)


def _by_key(facts: CustomerFacts, now: datetime = NOW) -> dict[str, tuple[float, str]]:
    return {c.key: (c.points, c.reason) for c in score(facts, now).components}


def test_a_fresh_customer_scores_zero_and_says_why():
    # when
    result = score(FRESH, NOW)

    # then
    assert result.value == 0
    assert [(c.key, c.label) for c in result.components] == [
        ("recency", "Recency"),
        ("frequency", "Frequency"),
        ("pipeline", "Pipeline"),
        ("profile", "Profile"),
    ]
    assert _by_key(FRESH) == {
        "recency": (0, "No activity logged yet"),
        "frequency": (0, "No activities in the last 90 days"),
        "pipeline": (0, "No open deals; no deal won in the last 365 days"),
        "profile": (0, "Missing: phone, email, contact person and owner"),
    }


def test_an_active_customer_with_deals_earns_every_component():
    # when
    result = score(ACTIVE, NOW)

    # then: 30 × 2^(-3/30), 5 × 2.5, 20 × 80% + 10, 4 + 4 + 4 + 3
    assert _by_key(ACTIVE) == {
        "recency": (28.0, "Last contact 3 days ago"),
        "frequency": (12.5, "5 activities in the last 90 days"),
        "pipeline": (
            26.0,
            "2 open deals, the likeliest at Contract (80%); 1 deal won in the last 365 days",
        ),
        "profile": (15.0, "Complete: phone, email, contact person and owner"),
    }
    assert result.value == 81.5
    assert result.value == sum(c.points for c in result.components)
    assert result.value > score(FRESH, NOW).value


def test_the_breakdown_is_stored_as_the_api_shows_it():
    # when
    breakdown = score(ACTIVE, NOW).breakdown()

    # then
    assert breakdown[0] == {
        "key": "recency",
        "label": "Recency",
        "points": 28.0,
        "reason": "Last contact 3 days ago",
    }


@pytest.mark.parametrize(
    ("days", "points", "reason"),
    [
        (0, 30.0, "Last contact today"),
        (1, 29.3, "Last contact yesterday"),
        (30, 15.0, "Last contact 30 days ago"),
        (60, 7.5, "Last contact 60 days ago"),
        (365, 0.0, "Last contact 365 days ago"),
    ],
)
def test_recency_halves_every_thirty_days(days: int, points: float, reason: str):
    facts = CustomerFacts(last_activity_at=NOW - timedelta(days=days, minutes=1))
    assert _by_key(facts)["recency"] == (points, reason)


def test_an_activity_dated_after_now_counts_as_today():
    facts = CustomerFacts(last_activity_at=NOW + timedelta(days=2))
    assert _by_key(facts)["recency"] == (RECENCY_POINTS, "Last contact today")


def test_frequency_is_full_at_ten_activities_and_never_more():
    assert _by_key(CustomerFacts(recent_activities=1))["frequency"] == (
        2.5,
        "1 activity in the last 90 days",
    )
    assert _by_key(CustomerFacts(recent_activities=10))["frequency"][0] == FREQUENCY_POINTS
    assert _by_key(CustomerFacts(recent_activities=250))["frequency"] == (
        FREQUENCY_POINTS,
        "250 activities in the last 90 days",
    )


def test_pipeline_counts_the_likeliest_open_deal_and_recent_wins():
    one_deal = CustomerFacts(open_deals=1, best_stage="Quote", best_probability=50)
    assert _by_key(one_deal)["pipeline"] == (
        10.0,
        "1 open deal, at Quote (50%); no deal won in the last 365 days",
    )
    only_won = CustomerFacts(recent_wins=3)
    assert _by_key(only_won)["pipeline"] == (
        RECENT_WIN_POINTS,
        "No open deals; 3 deals won in the last 365 days",
    )
    certain = CustomerFacts(open_deals=1, best_stage="Contract", best_probability=100)
    assert _by_key(certain)["pipeline"][0] == OPEN_DEAL_POINTS


def test_profile_names_what_is_missing():
    facts = CustomerFacts(has_phone=True, has_owner=True)
    assert _by_key(facts)["profile"] == (
        PHONE_POINTS + OWNER_POINTS,
        "Has phone and owner; missing email and contact person",
    )
    facts = CustomerFacts(has_email=True, contacts=1)
    assert _by_key(facts)["profile"][0] == EMAIL_POINTS + CONTACT_POINTS


@pytest.mark.parametrize(
    "facts",
    [
        FRESH,
        ACTIVE,
        FULL,
        replace(FULL, recent_activities=10_000, recent_wins=500, contacts=90),
        replace(ACTIVE, best_probability=250),  # out of range: a probability is 0–100
        replace(ACTIVE, last_activity_at=NOW - timedelta(days=100_000)),
    ],
)
def test_scores_stay_within_zero_and_a_hundred(facts: CustomerFacts):
    result = score(facts, NOW)
    assert 0 <= result.value <= MAX_SCORE
    assert all(c.points >= 0 for c in result.components)
    assert result.value == pytest.approx(sum(c.points for c in result.components))


def test_everything_at_once_is_a_hundred():
    assert score(FULL, NOW).value == 100


def test_the_same_facts_at_the_same_instant_give_the_same_score():
    assert score(ACTIVE, NOW) == score(ACTIVE, NOW)
    # and the instant is what moves it, not the clock
    assert score(ACTIVE, NOW + timedelta(days=30)).value < score(ACTIVE, NOW).value
