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
from domain.imports.engine import Opening, RecordChunk, Row, Spec, model_columns, record_matches
from domain.imports.headers import CUSTOMER_LINK_WITH_PHONE, Aliases
from domain.imports.links import CustomerLinks, Members
from domain.imports.matches import Keys, Matches, Record
from domain.imports.values import parse_activity_kind, parse_instant
from domain.local_time import viewer_zone
from domain.validation import check_optional, clean_text, normalize_phone
from domain.viewer import Viewer
from models import Activity, Contact, Opportunity
from models.enums import ActivityKind, ImportKind

# Every column of an activity rows may match: its record's `values`.
_COLUMNS = model_columns(Activity, leaving_out=("id", "workspace_id", "created_at"))


def _natural_key(activity: Record) -> Keys:
    v = activity.values
    return {"content": (v["customer_id"], ActivityKind(v["kind"]), v["occurred_at"], v["content"])}


def _content(text: str | None) -> tuple[str | None, str | None]:
    content = clean_text(text)
    if content is not None and len(content) > MAX_CONTENT_LENGTH:
        return None, CONTENT_TOO_LONG
    return content, None


def _parse(
    number: int, cells: Cells, zone: ZoneInfo, links: CustomerLinks, members: Members
) -> Row:
    problems = Problems()
    customer = links.find(problems, cells)
    present = given(cells)
    values: dict[str, Any] = {}
    for name, column, read in (
        ("kind", "kind", parse_activity_kind),
        ("occurredAt", "occurred_at", lambda text: parse_instant(text, zone)),
        ("nextFollowUpAt", "next_follow_up_at", lambda text: parse_instant(text, zone)),
        ("content", "content", _content),
    ):
        put(problems, values, name, column, read(present.get(name)))
    members.put(problems, present, "author", values, "author_id")
    if external_id := check_optional(problems, "externalId", present.get("externalId"), 200):
        values["external_id"] = external_id
    row = Row(number, problems, values, present=present, customer=customer)
    if customer is not None and "occurred_at" in values and "content" in values:
        kind = values.get("kind", ActivityKind.OTHER)
        row.keys["content"] = (customer.id, kind, values["occurred_at"], values["content"])
    return row


async def _link_related(viewer: Viewer, parsed: list[Row]) -> dict[int, datetime | None]:
    """Puts in each row's values the contact and the deal of its customer it names; returns
    the chunk's customers' deals' last activity."""
    ids = sorted({row.customer.id for row in parsed if row.customer is not None})
    of: dict[tuple[str, int], list[dict[str, Any]]] = {}  # (field, customer) → its records
    for model, name, column in (
        (Contact, "contact", "phone_normalized"),
        (Opportunity, "opportunity", "last_activity_at"),
    ):
        if ids and any(name in row.present for row in parsed):
            query = model.filter(workspace_id=viewer.workspace_id, customer_id__in=ids)
            for record in await query.order_by("id").values("id", "customer_id", "name", column):
                of.setdefault((name, record["customer_id"]), []).append(record)
    for row in parsed:
        if row.customer is None:
            continue
        customer_id = row.customer.id
        if text := row.present.get("contact"):
            contacts = of.get(("contact", customer_id), [])
            # The contact of that name, else (the first) of that phone.
            phone = normalize_phone(text)
            found = (
                _named(contacts, text)
                or [c["id"] for c in contacts if phone and c["phone_normalized"] == phone][:1]
            )
            several = f"Several contacts of this customer are named “{text}”: give a phone instead."
            _put_one(row, "contact", found, several, f"The customer has no contact “{text}”.")
        if text := row.present.get("opportunity"):
            found = _named(of.get(("opportunity", customer_id), []), text)
            several = f"Several deals of this customer are named “{text}”."
            _put_one(row, "opportunity", found, several, f"The customer has no deal “{text}”.")
    deals = [deal for (name, _), held in of.items() if name == "opportunity" for deal in held]
    return {deal["id"]: deal["last_activity_at"] for deal in deals}


def _named(records: list[dict[str, Any]], text: str) -> list[int]:
    return [record["id"] for record in records if record["name"].lower() == text.lower()]


def _put_one(row: Row, field: str, found: list[int], several: str, missing: str) -> None:
    if len(found) == 1:
        row.values[f"{field}_id"] = found[0]
    elif found:
        row.problems.add(field, several, ErrorCode.CONFLICT)
    else:
        row.problems.add(field, missing, ErrorCode.NOT_FOUND)


async def _load_matches(opening: Opening, parsed: list[Row]) -> Matches[Record]:
    """The stored activities rows may match: by external id (also to keep new ones free)
    and, when matching on "content", by natural key. One query each."""
    external_ids = sorted(
        {row.values["external_id"] for row in parsed if "external_id" in row.values}
    )
    natural = [row.keys["content"] for row in parsed if "content" in row.keys]
    keys = [("externalId", key) for key in external_ids] + [("content", k) for k in natural]
    scope = Activity.filter(workspace_id=opening.viewer.workspace_id)
    queries = []
    # Those a dry run's earlier chunks gave one of the keys.
    if opening.file is not None and (ids := await opening.file.find(keys)):
        queries.append(scope.filter(id__in=ids))
    if external_ids:
        queries.append(scope.filter(external_id__in=external_ids))
    if natural and "content" in opening.match_on:
        customer_ids = sorted({key[0] for key in natural})
        times = sorted({key[2] for key in natural})
        queries.append(scope.filter(customer_id__in=customer_ids, occurred_at__in=times))
    found = {a["id"]: a for query in queries for a in await query.values("id", *_COLUMNS)}
    stored = {pk: Record({c: found[pk][c] for c in _COLUMNS}, stored=pk) for pk in sorted(found)}
    return await record_matches(
        opening.file,
        Activity,
        stored,
        Record,
        _natural_key,
        "activity",
        lambda activity: (activity.values["content"] or "")[:60],
    )


async def _open(opening: Opening) -> _Chunk:
    viewer = opening.viewer
    # The importing user's clock, else the workspace's: the API's rule (domain.local_time).
    zone = await viewer_zone(viewer)
    links = await CustomerLinks.load(viewer, opening.cells)
    members = await Members.load(viewer, opening.cells, "author")
    parsed = [_parse(number, cells, zone, links, members) for number, cells in opening.rows]
    deals_last_activity = await _link_related(viewer, parsed)
    return _Chunk(parsed, viewer, deals_last_activity, await _load_matches(opening, parsed))


class _Chunk(RecordChunk[Record]):
    def __init__(
        self,
        rows: list[Row],
        viewer: Viewer,
        deals_last_activity: dict[int, datetime | None],
        matches: Matches[Record],
    ) -> None:
        super().__init__(SPEC, rows)
        self.viewer, self.matches = viewer, matches
        # What logging the activities does, written in one go at the end: the follow-ups to
        # schedule (each with whom it reminds), in order; the last activity of customers and
        # deals it moves (and that of the deals rows name, as stored).
        self.follow_ups: list[tuple[Record, int]] = []
        self.last_activity: dict[int, datetime] = {}
        self.deal_last_activity: dict[int, datetime] = {}
        self.deal_activity_before = deals_last_activity

    async def create(self, row: Row, problems: Problems) -> tuple[Record, dict[str, Any]]:
        assert row.customer is not None
        defaults = {"kind": ActivityKind.OTHER, "author_id": self.viewer.user_id}
        values = dict.fromkeys(_COLUMNS) | defaults | row.values
        values["customer_id"] = row.customer.id
        # A time is also what keeps a file imported twice from logging its activities twice.
        for column, name, message in (
            ("occurred_at", "occurredAt", "Say when it happened."),
            ("content", "content", SAY_WHAT_HAPPENED),
        ):
            # Missing is REQUIRED, unless the cell's own problem was already reported.
            if values[column] is None and not any(p.field == name for p in problems.items):
                problems.add(name, message, ErrorCode.REQUIRED)
        return Record(values), values

    async def update(self, row: Row, target: Record, problems: Problems) -> dict[str, Any]:
        return self.changes(row, target, problems)

    def check(self, row: Row, target: Record, changes: dict[str, Any], problems: Problems) -> None:
        assert row.customer is not None
        planned = target.values | changes  # a new activity's changes are all its values
        occurred_at, due = planned["occurred_at"], planned["next_follow_up_at"]
        moved = {"occurred_at", "next_follow_up_at"} & changes.keys()
        if moved and occurred_at is not None and due is not None and due <= occurred_at:
            problems.add("nextFollowUpAt", FOLLOW_UP_AFTER_ACTIVITY)
        super().check(row, target, changes, problems)
        # A new or changed follow-up reminds the author, else the customer's owner.
        if changes.get("next_follow_up_at") and not (planned["author_id"] or row.customer.owner_id):
            problems.add(
                "nextFollowUpAt",
                "Nobody to remind: give the customer an owner or the activity an author.",
            )

    def land(self, row: Row, target: Record, changes: dict[str, Any]) -> bool:
        assert row.customer is not None
        is_new = super().land(row, target, changes)
        customer, deal_id = row.customer, target.values["opportunity_id"]
        if changes.get("next_follow_up_at") is not None:
            reminded = target.values["author_id"] or customer.owner_id
            assert reminded is not None  # `check` refused a follow-up that reminds nobody
            self.follow_ups.append((target, reminded))
        # What logging it moves: the customer's last activity and next follow-up, the deal's.
        occurred = target.values["occurred_at"]
        if is_new or {"occurred_at", "next_follow_up_at"} & changes.keys():
            last = self.last_activity.get(customer.id, customer.last_activity_at)
            self.last_activity[customer.id] = occurred if last is None else max(last, occurred)
        if deal_id is not None and (is_new or {"occurred_at", "opportunity_id"} & changes.keys()):
            last = self.deal_last_activity.get(deal_id, self.deal_activity_before.get(deal_id))
            if last is None or last < occurred:
                self.deal_last_activity[deal_id] = occurred
        return is_new

    async def write(self) -> None:
        now = datetime.now(UTC)
        await self.write_records(Activity, now)
        customer_ids = sorted(self.last_activity)
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
            for activity, user_id in self.follow_ups
        ]
        soonest = await schedule_follow_ups(self.viewer, scheduled, customer_ids, now)
        await refresh_customer_activity(self.last_activity, soonest, now)
        moved = {pk: {"last_activity_at": at} for pk, at in self.deal_last_activity.items()}
        await set_columns(Opportunity, moved, ["last_activity_at"])


# Each field → the headers it is recognised by, beside its own name (see `headers`).
_FIELDS: Aliases = {
    "kind": ("类型", "方式", "跟进方式", "跟进类型", "活动类型", "type", "activity type"),
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
        "follow up at",
    ),
    "contact": ("联系人", "contact name", "contact person", "activity - contact person"),
    "author": (
        "跟进人",
        "负责人",
        "销售",
        "owner",
        "rep",
        "assigned to",
        "activity owner",
        "activity - assigned to user",
    ),
    "opportunity": ("商机", "商机名称", "opportunity name", "deal", "deal - title"),
    "externalId": ("外部编号", "活动编号", "编号", "id", "activity id"),
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
