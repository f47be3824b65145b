"""Activity imports: follow-ups logged in bulk, with what `logActivity` does for each one.

Each row names its customer, and may name one of its contacts and deals. An activity
with `nextFollowUpAt` schedules a PENDING reminder for its author (the customer's owner
when nobody is), cancelling that person's earlier pending follow-up for the customer;
the customers' `lastActivityAt` and `nextFollowUpAt`, and a linked deal's last activity,
move as `logActivity` moves them. All of it is set-based: a constant number of
statements per chunk, whatever its size.

An activity is the same record as a stored one with the same `externalId`, or (match
field "content") with the same customer, kind, occurredAt and content: importing a
file twice logs nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.activities import CONTENT_TOO_LONG, MAX_CONTENT_LENGTH, SAY_WHAT_HAPPENED
from domain.errors import ErrorCode, Problems
from domain.exact_updates import set_columns
from domain.follow_ups import (
    FOLLOW_UP_AFTER_ACTIVITY,
    FollowUp,
    refresh_customer_activity,
    schedule_follow_ups,
)
from domain.imports.cells import Cells, given, put
from domain.imports.engine import (
    NumberedCells,
    RecordChunk,
    Row,
    Spec,
    record_matches,
)
from domain.imports.file_keys import FileKeys
from domain.imports.headers import CUSTOMER_LINK_WITH_PHONE, Aliases
from domain.imports.links import CustomerLinks, LinkedCustomer, Members
from domain.imports.matches import Matches, Record
from domain.imports.moments import parse_instant
from domain.imports.values import parse_activity_kind
from domain.local_time import viewer_zone
from domain.validation import check_optional, clean_text, normalize_phone
from domain.viewer import Viewer
from models import Activity, Contact, Opportunity
from models.enums import ActivityKind, ImportKind, ImportMode

_COLUMNS = (
    "customer_id",
    "kind",
    "occurred_at",
    "content",
    "next_follow_up_at",
    "contact_id",
    "opportunity_id",
    "author_id",
    "external_id",
)

NaturalKey = tuple[int, ActivityKind, datetime, str]


class _Activity(Record):
    """An activity rows may match; `values` holds every column of _COLUMNS."""

    def natural_key(self) -> NaturalKey:
        v = self.values
        return (v["customer_id"], ActivityKind(v["kind"]), v["occurred_at"], v["content"])


def _parse(
    number: int, cells: Cells, zone: ZoneInfo, links: CustomerLinks, members: Members
) -> Row:
    problems = Problems()
    customer = links.find(problems, cells)
    present = given(cells)
    values: dict[str, Any] = {}
    put(problems, values, "kind", "kind", parse_activity_kind(present.get("kind")))
    put(
        problems,
        values,
        "occurredAt",
        "occurred_at",
        parse_instant(present.get("occurredAt"), zone),
    )
    follow_up = parse_instant(present.get("nextFollowUpAt"), zone)
    put(problems, values, "nextFollowUpAt", "next_follow_up_at", follow_up)
    content = clean_text(present.get("content"))
    if content is not None and len(content) > MAX_CONTENT_LENGTH:
        problems.add("content", CONTENT_TOO_LONG)
    elif content is not None:
        values["content"] = content
    members.put(problems, present, "author", values, "author_id")
    external_id = check_optional(problems, "externalId", present.get("externalId"), 200)
    if external_id is not None:
        values["external_id"] = external_id
    row = Row(number, problems, values, present=present, customer=customer)
    if customer is not None and "occurred_at" in values and "content" in values:
        kind = values.get("kind", ActivityKind.OTHER)
        row.keys["content"] = (customer.id, kind, values["occurred_at"], values["content"])
    return row


class _Related:
    """The contacts and deals of the chunk's customers, for rows that name one by text."""

    def __init__(self, contacts: list[dict[str, Any]], deals: list[dict[str, Any]]) -> None:
        self.contacts: dict[int, list[dict[str, Any]]] = {}
        for contact in contacts:
            self.contacts.setdefault(contact["customer_id"], []).append(contact)
        self.deals: dict[int, list[dict[str, Any]]] = {}
        for deal in deals:
            self.deals.setdefault(deal["customer_id"], []).append(deal)
        self.deal_last_activity = {deal["id"]: deal["last_activity_at"] for deal in deals}

    @classmethod
    async def load(cls, viewer: Viewer, parsed: list[Row]) -> _Related:
        ids = sorted({row.customer.id for row in parsed if row.customer is not None})
        scope = {"workspace_id": viewer.workspace_id, "customer_id__in": ids}
        contacts: list[dict[str, Any]] = []
        deals: list[dict[str, Any]] = []
        if ids and any("contact" in row.present for row in parsed):
            contacts = (
                await Contact.filter(**scope)
                .order_by("id")
                .values("id", "customer_id", "name", "phone_normalized")
            )
        if ids and any("opportunity" in row.present for row in parsed):
            deals = (
                await Opportunity.filter(**scope)
                .order_by("id")
                .values("id", "customer_id", "name", "last_activity_at")
            )
        return cls(contacts, deals)

    def contact(self, problems: Problems, customer_id: int, text: str) -> int | None:
        """The customer's contact of that name, else of that phone."""
        candidates = self.contacts.get(customer_id, [])
        named = [c["id"] for c in candidates if c["name"].lower() == text.lower()]
        if len(named) > 1:
            problems.add(
                "contact",
                f"Several contacts of this customer are named “{text}”: give a phone instead.",
                ErrorCode.CONFLICT,
            )
            return None
        phone = normalize_phone(text)
        found = named or [c["id"] for c in candidates if phone and c["phone_normalized"] == phone]
        if not found:
            problems.add("contact", f"The customer has no contact “{text}”.", ErrorCode.NOT_FOUND)
            return None
        return found[0]

    def deal(self, problems: Problems, customer_id: int, text: str) -> int | None:
        """The customer's deal of that name."""
        named = [
            d["id"] for d in self.deals.get(customer_id, []) if d["name"].lower() == text.lower()
        ]
        if len(named) == 1:
            return named[0]
        if named:
            problems.add(
                "opportunity",
                f"Several deals of this customer are named “{text}”.",
                ErrorCode.CONFLICT,
            )
        else:
            problems.add("opportunity", f"The customer has no deal “{text}”.", ErrorCode.NOT_FOUND)
        return None


async def _load_matches(
    viewer: Viewer, parsed: list[Row], match_on: list[str], file: FileKeys | None
) -> Matches[_Activity]:
    """The stored activities rows may match: by external id (also to keep new ones free)
    and, when matching on "content", by natural key. One query each."""
    external_ids = sorted(
        {row.values["external_id"] for row in parsed if "external_id" in row.values}
    )
    natural = [row.keys["content"] for row in parsed if "content" in row.keys]
    keys = [("externalId", key) for key in external_ids] + [("content", k) for k in natural]
    scope = Activity.filter(workspace_id=viewer.workspace_id)
    found: dict[int, dict[str, Any]] = {}
    # Those a dry run's earlier chunks gave one of the keys.
    if file is not None and (ids := await file.find(keys)):
        for activity in await scope.filter(id__in=ids).values("id", *_COLUMNS):
            found[activity["id"]] = activity
    if external_ids:
        for activity in await scope.filter(external_id__in=external_ids).values("id", *_COLUMNS):
            found[activity["id"]] = activity
    if natural and "content" in match_on:
        near = scope.filter(
            customer_id__in=sorted({key[0] for key in natural}),
            occurred_at__in=sorted({key[2] for key in natural}),
        )
        for activity in await near.values("id", *_COLUMNS):
            found[activity["id"]] = activity
    stored = {pk: _Activity({c: found[pk][c] for c in _COLUMNS}, stored=pk) for pk in sorted(found)}
    return await record_matches(
        file,
        Activity,
        stored,
        _Activity,
        lambda activity: {"content": activity.natural_key()},
        "activity",
        lambda a: (a.values["content"] or "")[:60],
    )


@dataclass
class _FollowUps:
    """What the chunk does to reminders and customers, applied in one go at the end."""

    # The follow-ups to schedule, in order, each with the activity it comes of.
    scheduled: list[tuple[_Activity, int]] = field(default_factory=list)
    last_activity: dict[int, datetime] = field(default_factory=dict)  # customer →
    deal_last_activity: dict[int, datetime | None] = field(default_factory=dict)
    deals_touched: set[int] = field(default_factory=set)

    def schedule(self, activity: _Activity, user_id: int) -> None:
        self.scheduled.append((activity, user_id))

    def note_activity(self, customer: LinkedCustomer, activity: _Activity) -> None:
        occurred = activity.values["occurred_at"]
        last = self.last_activity.get(customer.id, customer.last_activity_at)
        self.last_activity[customer.id] = occurred if last is None else max(last, occurred)

    def note_deal(self, related: _Related, deal_id: int, occurred: datetime) -> None:
        last = self.deal_last_activity.get(deal_id, related.deal_last_activity.get(deal_id))
        if last is None or last < occurred:
            self.deal_last_activity[deal_id] = occurred
            self.deals_touched.add(deal_id)


async def _open(
    viewer: Viewer,
    rows: NumberedCells,
    *,
    mode: ImportMode,
    match_on: list[str],
    file: FileKeys | None,
) -> _Chunk:
    cells_list = [cells for _, cells in rows]
    # The importing user's clock, else the workspace's: the API's rule (domain.local_time).
    zone = await viewer_zone(viewer)
    links = await CustomerLinks.load(viewer, cells_list)
    members = await Members.load(viewer, cells_list, "author")
    parsed = [_parse(number, cells, zone, links, members) for number, cells in rows]
    related = await _Related.load(viewer, parsed)
    for row in parsed:
        if row.customer is not None:
            _link_related(row, row.customer, related)
    matches = await _load_matches(viewer, parsed, match_on, file)
    return _Chunk(parsed, viewer, related, matches)


def _link_related(row: Row, customer: LinkedCustomer, related: _Related) -> None:
    if "contact" in row.present:
        contact_id = related.contact(row.problems, customer.id, row.present["contact"])
        if contact_id is not None:
            row.values["contact_id"] = contact_id
    if "opportunity" in row.present:
        deal_id = related.deal(row.problems, customer.id, row.present["opportunity"])
        if deal_id is not None:
            row.values["opportunity_id"] = deal_id


class _Chunk(RecordChunk[_Activity]):
    def __init__(
        self,
        rows: list[Row],
        viewer: Viewer,
        related: _Related,
        matches: Matches[_Activity],
    ) -> None:
        super().__init__(SPEC, rows)
        self.viewer, self.related, self.matches = viewer, related, matches
        self.follow_ups = _FollowUps()
        self.remind: int | None = None  # whom the row's follow-up reminds, once it lands

    async def create(self, row: Row, problems: Problems) -> tuple[_Activity, dict[str, Any]]:
        assert row.customer is not None
        values = dict.fromkeys(_COLUMNS) | row.values
        values["customer_id"] = row.customer.id
        if values["kind"] is None:
            values["kind"] = ActivityKind.OTHER
        if "author_id" not in row.values:
            values["author_id"] = self.viewer.user_id
        # A time is also what keeps a file imported twice from logging its activities twice.
        _require(problems, values, "occurred_at", "occurredAt", "Say when it happened.")
        _require(problems, values, "content", "content", SAY_WHAT_HAPPENED)
        _check_order(problems, values["occurred_at"], values["next_follow_up_at"])
        return _Activity(values), values

    async def update(self, row: Row, target: _Activity, problems: Problems) -> dict[str, Any]:
        changes = self.changes(row, target, problems)
        if "occurred_at" in changes or "next_follow_up_at" in changes:
            merged = target.values | changes
            _check_order(problems, merged["occurred_at"], merged["next_follow_up_at"])
        return changes

    def check(
        self, row: Row, target: _Activity, changes: dict[str, Any], problems: Problems
    ) -> None:
        super().check(row, target, changes, problems)
        self.remind = _reminded_user(row, target, changes, problems)

    def land(self, row: Row, target: _Activity, changes: dict[str, Any]) -> bool:
        assert row.customer is not None
        is_new = super().land(row, target, changes)
        values, follow_ups = target.values, self.follow_ups
        if self.remind is not None:
            follow_ups.schedule(target, self.remind)
        # What logging it moves: the customer's last activity and next follow-up, the deal's.
        if is_new or {"occurred_at", "next_follow_up_at"} & changes.keys():
            follow_ups.note_activity(row.customer, target)
        if values["opportunity_id"] is not None and (
            is_new or {"occurred_at", "opportunity_id"} & changes.keys()
        ):
            follow_ups.note_deal(self.related, values["opportunity_id"], values["occurred_at"])
        return is_new

    async def write(self) -> None:
        now = datetime.now(UTC)
        await self.write_records(Activity, now)
        await _write_follow_ups(self.viewer, self.follow_ups, now)


def _require(
    problems: Problems, values: dict[str, Any], column: str, name: str, message: str
) -> None:
    """A missing value is REQUIRED, unless the cell's own problem was already reported."""
    if values[column] is None and not any(p.field == name for p in problems.items):
        problems.add(name, message, ErrorCode.REQUIRED)


def _check_order(problems: Problems, occurred_at: datetime | None, due: datetime | None) -> None:
    if occurred_at is not None and due is not None and due <= occurred_at:
        problems.add("nextFollowUpAt", FOLLOW_UP_AFTER_ACTIVITY)


def _reminded_user(
    row: Row, target: _Activity, changes: dict[str, Any], problems: Problems
) -> int | None:
    """Whom a new or changed follow-up reminds: the author, else the customer's owner."""
    if changes.get("next_follow_up_at") is None:
        return None
    assert row.customer is not None
    user_id = changes.get("author_id", target.values.get("author_id")) or row.customer.owner_id
    if user_id is None:
        problems.add(
            "nextFollowUpAt",
            "Nobody to remind: give the customer an owner or the activity an author.",
        )
    return user_id


async def _write_follow_ups(viewer: Viewer, follow_ups: _FollowUps, now: datetime) -> None:
    customer_ids = sorted(follow_ups.last_activity)
    if not customer_ids:
        return
    scheduled = [
        FollowUp(
            activity.values["customer_id"],
            user_id,
            activity.values["next_follow_up_at"],
            activity.values["content"],
            # A dry run's reminder of an activity it would have created earlier: rolled
            # back with the rest, and of no activity the database has.
            None if activity.unwritten else activity.stored or activity.values["id"],
        )
        for activity, user_id in follow_ups.scheduled
    ]
    soonest = await schedule_follow_ups(viewer, scheduled, customer_ids, now)
    await refresh_customer_activity(follow_ups.last_activity, soonest, now)
    await set_columns(
        Opportunity,
        {
            pk: {"last_activity_at": follow_ups.deal_last_activity[pk]}
            for pk in follow_ups.deals_touched
        },
        ["last_activity_at"],
    )


# Each field → the headers it is recognised by, beside its own name (see `headers`).
_FIELDS: Aliases = {
    "kind": (
        "类型",
        "方式",
        "跟进方式",
        "跟进类型",
        "活动类型",
        "kind",
        "type",
        "activity type",
        "activity - type",
    ),
    "occurredAt": (
        "时间",
        "日期",
        "跟进时间",
        "跟进日期",
        "发生时间",
        "活动时间",
        "occurred at",
        "date",
        "time",
        "when",
        "activity date",
        "activity - due date",
    ),
    "content": (
        "内容",
        "沟通内容",
        "跟进内容",
        "跟进记录",
        "客户反馈",
        "备注",
        "content",
        "notes",
        "note",
        "summary",
        "description",
        "comments",
        "activity - note",
    ),
    "nextFollowUpAt": (
        "下次跟进时间",
        "下次跟进日期",
        "下次跟进",
        "next follow up",
        "next follow up at",
        "follow up at",
    ),
    "contact": ("联系人", "contact", "contact name", "contact person", "activity - contact person"),
    "author": (
        "跟进人",
        "负责人",
        "销售",
        "author",
        "owner",
        "rep",
        "assigned to",
        "activity owner",
        "activity - assigned to user",
    ),
    "opportunity": ("商机", "商机名称", "opportunity", "opportunity name", "deal", "deal - title"),
    "externalId": (
        "外部编号",
        "活动编号",
        "编号",
        "external id",
        "id",
        "activity id",
        "activity - id",
    ),
    **CUSTOMER_LINK_WITH_PHONE,
}


SPEC = Spec(
    kind=ImportKind.ACTIVITIES,
    record="activity",
    a_record="an activity",
    fields=_FIELDS,
    # An activity's "content" is its natural key: the same customer, kind, occurredAt and
    # content.
    match_fields=("externalId", "content"),
    default_match_on=("externalId", "content"),
    entity=None,
    open=_open,
    growing=("activity", "reminder"),
    new_record_needs=(("occurredAt",), ("content",)),
    # "content" is the natural key only with its time.
    matched_with={"content": ("occurredAt",)},
    linked=True,
    shown={
        "occurred_at": "occurredAt",
        "next_follow_up_at": "nextFollowUpAt",
        "author_id": "author",
        "external_id": "externalId",
        "contact_id": "contact",
        "opportunity_id": "opportunity",
    },
)
apply_activity_rows = SPEC.apply
