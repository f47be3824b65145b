"""How a customer's score is made: four components, each worth a fixed share of 100 points.

| component   | points | earned by                                                          |
|-------------|-------:|--------------------------------------------------------------------|
| `recency`   |     30 | all on the day of the last activity, halving every 30 days after   |
| `frequency` |     25 | 2.5 per activity in the last 90 days, all of them at 10            |
| `pipeline`  |     30 | 20 × the likeliest open deal's probability; 10 for a recent win    |
| `profile`   |     15 | a phone (4), an email (4), a contact person (4), an owner (3)      |

A recent win is a deal won in the last 365 days. Amounts do not count: deals of one
workspace may be in several currencies, and what is a big deal differs from one business
to the next; a deal's probability (its stage's, or its own override) says how close it is
to money whatever its size.

The rules are pure: `score(facts, now)` reads no clock and no database, so the same facts
and the same `now` always give the same score. Points are kept in tenths, rounded half
up per component, so the breakdown adds up exactly to the score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

RECENCY_POINTS = 30
# Recency points halve with every this many days since the last activity.
RECENCY_HALF_LIFE_DAYS = 30

FREQUENCY_POINTS = 25
FREQUENCY_WINDOW = timedelta(days=90)
# Activities within the window that earn all the frequency points.
FREQUENCY_FULL_AT = 10

# Times the best open deal's probability (0–100 %).
OPEN_DEAL_POINTS = 20
RECENT_WIN_POINTS = 10
WIN_WINDOW = timedelta(days=365)
PIPELINE_POINTS = OPEN_DEAL_POINTS + RECENT_WIN_POINTS

PHONE_POINTS = 4
EMAIL_POINTS = 4
CONTACT_POINTS = 4
OWNER_POINTS = 3
PROFILE_POINTS = PHONE_POINTS + EMAIL_POINTS + CONTACT_POINTS + OWNER_POINTS

MAX_SCORE = RECENCY_POINTS + FREQUENCY_POINTS + PIPELINE_POINTS + PROFILE_POINTS
assert MAX_SCORE == 100, "the components' weights must add up to 100"
# Every score's components, (key, label) in the order a breakdown lists them.
COMPONENTS = (
    ("recency", "Recency"),
    ("frequency", "Frequency"),
    ("pipeline", "Pipeline"),
    ("profile", "Profile"),
)

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class CustomerFacts:
    """What the rules look at, as of some instant `now` (gathered by `batches`)."""

    last_activity_at: datetime | None = None
    # Activities that occurred within FREQUENCY_WINDOW up to now.
    recent_activities: int = 0
    open_deals: int = 0
    # The open deal most likely to close: its stage's name and its probability.
    best_stage: str | None = None
    best_probability: int = 0
    # Deals won within WIN_WINDOW up to now.
    recent_wins: int = 0
    has_phone: bool = False
    has_email: bool = False
    contacts: int = 0
    has_owner: bool = False


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    points: float
    reason: str


@dataclass(frozen=True)
class Score:
    value: float
    components: list[Component]

    def breakdown(self) -> list[dict[str, Any]]:
        """The components as stored in `Customer.score_breakdown`."""
        return [asdict(component) for component in self.components]


def _tenths(points: float) -> int:
    """Non-negative points in tenths, rounded half up."""
    return int(points * 10 + 0.5)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _listed(items: list[str]) -> str:
    """The names joined as in a sentence: a; a and b; a, b and c."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _recency(facts: CustomerFacts, now: datetime) -> tuple[int, str]:
    if facts.last_activity_at is None:
        return 0, "No activity logged yet"
    # Whole days; an activity dated after `now` counts as today.
    days = max(0, (now - facts.last_activity_at) // _DAY)
    points = RECENCY_POINTS * 0.5 ** (days / RECENCY_HALF_LIFE_DAYS)
    when = {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")
    return _tenths(points), f"Last contact {when}"


def _frequency(facts: CustomerFacts) -> tuple[int, str]:
    count, days = facts.recent_activities, FREQUENCY_WINDOW.days
    counted = min(count, FREQUENCY_FULL_AT)
    points = FREQUENCY_POINTS * counted / FREQUENCY_FULL_AT
    if count == 0:
        return 0, f"No activities in the last {days} days"
    return _tenths(points), f"{_plural(count, 'activity', 'activities')} in the last {days} days"


def _pipeline(facts: CustomerFacts) -> tuple[int, str]:
    probability = min(max(facts.best_probability, 0), 100) if facts.open_deals else 0
    points = OPEN_DEAL_POINTS * probability / 100
    if facts.recent_wins:
        points += RECENT_WIN_POINTS
    if facts.open_deals == 0:
        deals = "No open deals"
    else:
        at = f"{facts.best_stage} ({probability}%)" if facts.best_stage else f"{probability}%"
        best = "at" if facts.open_deals == 1 else "the likeliest at"
        deals = f"{_plural(facts.open_deals, 'open deal')}, {best} {at}"
    won = _plural(facts.recent_wins, "deal") if facts.recent_wins else "no deal"
    return _tenths(points), f"{deals}; {won} won in the last {WIN_WINDOW.days} days"


def _profile(facts: CustomerFacts) -> tuple[int, str]:
    parts = [
        (facts.has_phone, PHONE_POINTS, "phone"),
        (facts.has_email, EMAIL_POINTS, "email"),
        (facts.contacts > 0, CONTACT_POINTS, "contact person"),
        (facts.has_owner, OWNER_POINTS, "owner"),
    ]
    points = sum(points for present, points, _ in parts if present)
    have = [name for present, _, name in parts if present]
    missing = [name for present, _, name in parts if not present]
    if not missing:
        return _tenths(points), f"Complete: {_listed(have)}"
    if not have:
        return 0, f"Missing: {_listed(missing)}"
    return _tenths(points), f"Has {_listed(have)}; missing {_listed(missing)}"


def score(facts: CustomerFacts, now: datetime) -> Score:
    """The customer's score as of `now`, with the reason for every component's points."""
    earned = (_recency(facts, now), _frequency(facts), _pipeline(facts), _profile(facts))
    components = [
        Component(key=key, label=label, points=tenths / 10, reason=reason)
        for (key, label), (tenths, reason) in zip(COMPONENTS, earned, strict=True)
    ]
    total = sum(tenths for tenths, _ in earned)
    return Score(value=min(max(total, 0), MAX_SCORE * 10) / 10, components=components)
