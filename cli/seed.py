"""`crm seed`: a demo workspace worth exploring, built through the domain's own functions.

Three reps share 50 customers (Chinese and English); each customer has a few activities over
the last 90 days in its language; deals stand in every stage, won and lost ones among them,
with their stage history; reminders are due today, overdue and coming; scores are computed.
The same seed builds the same workspace (a seeded random generator), relative to the moment
it runs.

The domain stamps what it writes with the present; a demo needs a past. So every record is
made by the function the API calls (its rules, its history rows, its reminders), then the
deal's instants (created, stage changes, closing) are moved back to when the story says they
happened: the only writes of this module that bypass the domain, and they change no rule's
outcome. Activities take their past instant through `log_activity` itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from api.core.ids import to_global_id
from cli import seed_data
from cli.seed_data import CustomerSpec
from crm.db import tortoise_config
from crm.settings import Settings
from domain import accounts, activities, customers, opportunities, products, stages
from domain.activities import ActivityData
from domain.customers import ContactData, CustomerData
from domain.opportunities import LineItemData, OpportunityData
from domain.pipelines import default_pipeline, live_stages
from domain.scoring import score_workspace
from domain.viewer import Viewer
from models import ChecklistItem, Customer, Opportunity, Product, Stage, StageChange, User
from models.enums import ActivityKind, CustomerKind, Role, StageKind

TIMEZONE = "Asia/Shanghai"
DAYS = 90
# What a deal ends as, in turn: an open stage (its index among the open stages), WON or LOST.
OUTCOMES: list[int | StageKind] = [
    0, 1, StageKind.WON, 2, StageKind.LOST, 3, StageKind.WON, 1, 0, StageKind.LOST, 2,
    StageKind.WON, 3,
]  # fmt: skip
# Customers by what their owner plans next: a follow-up due later today, one overdue, one in
# the coming weeks, or none (the rest).
DUE_TODAY, OVERDUE, UPCOMING = 8, 8, 24


class SeedRefused(Exception):
    """Seeding would write demo data where it must not."""


def refuse_production(settings: Settings, force: bool) -> None:
    if settings.crm_env == "production" and not force:
        raise SeedRefused(
            "crm seed: CRM_ENV=production; the demo workspace (its users sign in with a known "
            "password) is not for production. Run it with --force if you mean it."
        )


@dataclass(frozen=True)
class SeedResult:
    workspace_id: str  # the global id, as the API shows it
    email: str
    created: bool


@dataclass
class _Demo:
    rng: random.Random
    now: datetime
    admin: Viewer
    reps: list[Viewer]
    open_stages: list[Stage]
    won: Stage
    lost: Stage
    checklist: dict[int, list[int]]  # stage id → its checklist item ids
    products: dict[str, Product]


async def seed(*, email: str, password: str, now: datetime | None = None) -> SeedResult:
    """Creates the demo workspace once (in one transaction); running it again changes nothing."""
    await Tortoise.init(config=tortoise_config())
    try:
        existing = await User.filter(email=email).order_by("id").first()
        if existing is not None:
            return SeedResult(to_global_id("Workspace", existing.workspace_id), email, False)
        async with in_transaction():
            workspace_id = await _build(email, password, now or datetime.now(UTC))
        return SeedResult(to_global_id("Workspace", workspace_id), email, True)
    finally:
        await Tortoise.close_connections()


async def _build(email: str, password: str, now: datetime) -> int:
    rng = random.Random(seed_data.SEED)
    admin = await accounts.sign_up(
        workspace_name="示例公司 Demo Co.",
        name="Demo Admin",
        email=email,
        password=password,
        timezone=TIMEZONE,
    )
    workspace_id = admin.workspace_id
    admin_viewer = Viewer(workspace_id=workspace_id, role=Role.ADMIN, user_id=admin.id)
    reps = []
    for name, handle in seed_data.REPS:
        rep = await accounts.invite_user(
            admin_viewer, name=name, email=f"{handle}.{email}", password=password, role=Role.REP
        )
        reps.append(Viewer(workspace_id=workspace_id, role=Role.REP, user_id=rep.id))
    pipeline = await default_pipeline(workspace_id)
    assert pipeline is not None
    live = await live_stages(pipeline.id)
    items = await ChecklistItem.filter(stage_id__in=[s.id for s in live]).order_by("position")
    demo = _Demo(
        rng=rng,
        now=now,
        admin=admin_viewer,
        reps=reps,
        open_stages=[s for s in live if s.kind == StageKind.OPEN],
        won=next(s for s in live if s.kind == StageKind.WON),
        lost=next(s for s in live if s.kind == StageKind.LOST),
        checklist={s.id: [i.id for i in items if i.stage_id == s.id] for s in live},
        products={
            sku: await products.create_product(
                admin_viewer, name=name, sku=sku, unit_price=price, currency=currency
            )
            for name, sku, price, currency in seed_data.PRODUCTS
        },
    )
    deal_count = 0
    for index, spec in enumerate(seed_data.customers(rng)):
        owner = reps[index % len(reps)]
        customer = await customers.create_customer(owner, _customer_data(spec, index, owner))
        deals = []
        if spec.kind == CustomerKind.COMPANY:
            for _ in range(1 if rng.random() < 0.75 else 2):
                deals.append(await _deal(demo, owner, customer, spec, deal_count))
                deal_count += 1
        first = await _activities(demo, owner, customer, spec, deals, _plan(index, now))
        began = min([first, *(deal.created_at for deal in deals)])
        await Customer.filter(id=customer.id).update(created_at=began - timedelta(days=2))
    await _manager_notes(demo)
    await score_workspace(workspace_id, now)
    return workspace_id


def _customer_data(spec: CustomerSpec, index: int, owner: Viewer) -> CustomerData:
    return CustomerData(
        name=spec.name,
        kind=spec.kind,
        phone=spec.phone,
        email=spec.email,
        website=spec.website,
        industry=spec.industry,
        lead_source=spec.lead_source,
        tags=spec.tags,
        external_id=f"DEMO-{index + 1:03d}",
        owner_id=owner.user_id,
        contacts=[
            ContactData(name=c.name, title=c.title, phone=c.phone, email=c.email)
            for c in spec.contacts
        ],
    )


def _plan(index: int, now: datetime) -> datetime | None:
    """When the owner's next follow-up with the customer is due (None: none planned)."""
    local = now.astimezone(ZoneInfo(TIMEZONE))
    end_of_day = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if index < DUE_TODAY:
        # Between now and midnight, local time: due today whenever the seed runs.
        return now + (end_of_day - local) * ((index + 1) / (DUE_TODAY + 1))
    if index < DUE_TODAY + OVERDUE:
        return now - timedelta(days=1 + index - DUE_TODAY, hours=3)
    if index < DUE_TODAY + OVERDUE + UPCOMING:
        return now + timedelta(days=1 + (index % 21), hours=2)
    return None


async def _activities(
    demo: _Demo,
    owner: Viewer,
    customer: Customer,
    spec: CustomerSpec,
    deals: list[Opportunity],
    due: datetime | None,
) -> datetime:
    """3 to 10 activities over the last 90 days, in order; the last plans `due`. Returns the
    first one's instant."""
    rng = demo.rng
    latest = min(demo.now, due) - timedelta(hours=2) if due else demo.now - timedelta(hours=1)
    count = rng.randint(3, 10)
    spread = (latest - (demo.now - timedelta(days=DAYS))).total_seconds()
    offsets = sorted(rng.uniform(0, spread) for _ in range(count - 1))
    instants = [latest - timedelta(seconds=spread - s) for s in offsets] + [latest]
    contacts = [c.id for c in await customer.contacts.all()]
    notes = seed_data.ZH_NOTES if spec.chinese else seed_data.EN_NOTES
    for number, occurred_at in enumerate(instants):
        kind, content = rng.choice(notes)
        last = number == len(instants) - 1
        # Earlier plans, replaced by the last one (their reminders end CANCELLED).
        follow_up = due if last else None
        if not last and due and rng.random() < 0.4:
            follow_up = occurred_at + timedelta(days=rng.randint(2, 7))
        deal = next((d for d in deals if d.created_at <= occurred_at), None)
        await activities.log_activity(
            owner,
            ActivityData(
                customer_id=customer.id,
                kind=kind,
                content=content,
                contact_id=rng.choice(contacts) if contacts and rng.random() < 0.7 else None,
                opportunity_id=deal.id if deal and rng.random() < 0.6 else None,
                occurred_at=occurred_at,
                next_follow_up_at=follow_up,
            ),
        )
    return instants[0]


async def _deal(
    demo: _Demo, owner: Viewer, customer: Customer, spec: CustomerSpec, number: int
) -> Opportunity:
    """A deal created 10 to 85 days ago, moved through the pipeline to its outcome."""
    rng = demo.rng
    outcome = OUTCOMES[number % len(OUTCOMES)]
    if spec.chinese:
        seats = rng.choice([10, 20, 30, 50, 80, 120])
        lines = [
            _line(demo, "CRM-PRO-SEAT", seats, rng.choice([0, 5, 10, 15])),
            _line(demo, "SVC-ONB", 1),
        ]
        if rng.random() < 0.4:
            lines.append(_line(demo, "SVC-MIG", 1))
        name, currency = f"{spec.name} – CRM 专业版 {seats} 用户", "CNY"
    else:
        seats = rng.choice([15, 25, 40, 75, 150])
        lines = [
            _line(demo, "CRM-PRO-SEAT-USD", seats, rng.choice([0, 10])),
            _line(demo, "SVC-ONB-USD", 1),
        ]
        name, currency = f"{spec.name} – CRM Pro, {seats} seats", "USD"
    created = demo.now - timedelta(days=rng.uniform(10, 85))
    closing = created + timedelta(days=rng.uniform(20, 60))
    deal = await opportunities.create_opportunity(
        owner,
        OpportunityData(
            customer_id=customer.id,
            name=name,
            currency=currency,
            owner_id=owner.user_id,
            expected_close_date=max(closing, demo.now + timedelta(days=7)).date(),
            line_items=lines,
        ),
    )
    for stage in _path(demo, outcome):
        if outcome == StageKind.WON:
            # A won deal did its homework; open ones are left for the demo user to tick.
            await _tick_checklist(demo, owner, deal, deal.stage_id)
        reason = None
        if stage.kind == StageKind.LOST:
            reasons = seed_data.ZH_LOST_REASONS if spec.chinese else seed_data.EN_LOST_REASONS
            reason = rng.choice(reasons)
        deal = await stages.move_opportunity(owner, deal.id, stage.id, reason)
    await _backdate(demo, deal, created, closed=isinstance(outcome, StageKind))
    return await Opportunity.get(id=deal.id)


def _line(demo: _Demo, sku: str, quantity: int, discount: int = 0) -> LineItemData:
    return LineItemData(
        product_id=demo.products[sku].id, quantity=Decimal(quantity), discount=Decimal(discount)
    )


def _path(demo: _Demo, outcome: int | StageKind) -> list[Stage]:
    """The stages a deal moves into after its first, in order."""
    if outcome == StageKind.WON:
        return [*demo.open_stages[1:], demo.won]
    if outcome == StageKind.LOST:
        reached = demo.rng.randrange(len(demo.open_stages))
        return [*demo.open_stages[1 : reached + 1], demo.lost]
    assert isinstance(outcome, int)
    return demo.open_stages[1 : outcome + 1]


async def _tick_checklist(demo: _Demo, owner: Viewer, deal: Opportunity, stage_id: int) -> None:
    for item_id in demo.checklist.get(stage_id, []):
        await stages.set_checklist_item(owner, deal.id, item_id, True)


async def _backdate(demo: _Demo, deal: Opportunity, created: datetime, *, closed: bool) -> None:
    """Spreads the deal's stage changes from `created` to a few days ago (or, for an open
    deal, to some time before now), and its creation, stage entry and closing with them."""
    changes = await StageChange.filter(opportunity_id=deal.id).order_by("id")
    end = demo.now - timedelta(days=demo.rng.uniform(1, 8))
    step = (end - created) / max(len(changes) - 1, 1)
    instants = [created + step * n for n in range(len(changes))]
    for change, instant in zip(changes, instants, strict=True):
        await StageChange.filter(id=change.id).update(changed_at=instant)
    await Opportunity.filter(id=deal.id).update(
        created_at=created,
        stage_entered_at=instants[-1],
        closed_at=instants[-1] if closed else None,
    )


async def _manager_notes(demo: _Demo) -> None:
    """The admin (the demo sign-in) reviews the three largest open deals, with follow-ups due
    today and overdue, so that their own reminders list is not empty."""
    biggest = (
        await Opportunity.filter(workspace_id=demo.admin.workspace_id, status="OPEN")
        .order_by("-amount", "id")
        .limit(3)
    )
    for number, deal in enumerate(biggest):
        occurred_at = demo.now - timedelta(days=3 + number)
        due = _plan(number, demo.now) if number < 2 else demo.now - timedelta(hours=20)
        await activities.log_activity(
            demo.admin,
            ActivityData(
                customer_id=deal.customer_id,
                kind=ActivityKind.NOTE,
                content=f"Pipeline review: {deal.name} — check the decision date with the rep.",
                opportunity_id=deal.id,
                occurred_at=occurred_at,
                next_follow_up_at=due,
            ),
        )
