"""A demo workspace with realistic customers, contacts, activities and deals (中文 and English)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise import Tortoise

from crm.db import tortoise_config
from domain import accounts, activities, customers, opportunities, products
from domain.activities import ActivityData
from domain.customers import ContactData, CustomerData
from domain.opportunities import LineItemData, OpportunityData
from domain.viewer import Viewer
from models import User
from models.enums import ActivityKind, CustomerKind, Role

CUSTOMERS = [
    (
        "上海云帆科技有限公司",
        CustomerKind.COMPANY,
        "+86 21 6888 1234",
        "info@yunfan.cn",
        "软件",
        "展会",
        ["重点客户", "SaaS"],
        [("王伟", "采购经理", "138 0013 8000", "wangwei@yunfan.cn")],
    ),
    (
        "北京华信咨询",
        CustomerKind.COMPANY,
        "010-8765 4321",
        "contact@huaxin.com.cn",
        "咨询",
        "官网",
        ["咨询"],
        [
            ("李娜", "总经理", "139-1122-3344", "lina@huaxin.com.cn"),
            ("张强", "IT 主管", "13655667788", None),
        ],
    ),
    (
        "Acme Robotics Inc.",
        CustomerKind.COMPANY,
        "+1 (415) 555-0100",
        "sales@acme-robotics.com",
        "Manufacturing",
        "Referral",
        ["enterprise"],
        [("Jane Miller", "VP Operations", "+1 415 555 0101", "jane@acme-robotics.com")],
    ),
    (
        "Northwind Traders",
        CustomerKind.COMPANY,
        "+1 206 555 0199",
        "hello@northwind.example",
        "Retail",
        "Cold call",
        ["retail", "2026-Q4"],
        [("Tom Baker", "Buyer", None, "tom@northwind.example")],
    ),
    (
        "陈静",
        CustomerKind.PERSON,
        "18612345678",
        "chenjing@example.cn",
        None,
        "朋友推荐",
        ["个人客户"],
        [],
    ),
    (
        "Emily Zhang",
        CustomerKind.PERSON,
        "+86 137 0000 1111",
        "emily.zhang@example.com",
        None,
        "WeChat",
        ["B2C"],
        [],
    ),
]


async def seed(*, email: str, password: str) -> str:
    """Creates the demo workspace once; running it again changes nothing."""
    await Tortoise.init(config=tortoise_config())
    try:
        if await User.filter(email=email).exists():
            return email
        admin = await accounts.sign_up(
            workspace_name="示例公司 Demo Co.",
            name="Demo Admin",
            email=email,
            password=password,
            timezone="Asia/Shanghai",
        )
        viewer = Viewer(workspace_id=admin.workspace_id, role=Role.ADMIN, user_id=admin.id)
        rep = await accounts.invite_user(
            viewer, name="刘洋 (Rep)", email=f"rep.{email}", password=password, role=Role.REP
        )
        crm_suite = await products.create_product(
            viewer,
            name="CRM 专业版 (年费)",
            sku="CRM-PRO-Y",
            unit_price=Decimal("12000"),
            currency="CNY",
        )
        onboarding = await products.create_product(
            viewer,
            name="实施服务 Onboarding",
            sku="SVC-ONB",
            unit_price=Decimal("3000"),
            currency="CNY",
        )
        now = datetime.now(UTC)
        for index, (name, kind, phone, mail, industry, source, tags, contacts) in enumerate(
            CUSTOMERS
        ):
            customer = await customers.create_customer(
                viewer,
                CustomerData(
                    name=name,
                    kind=kind,
                    phone=phone,
                    email=mail,
                    industry=industry,
                    lead_source=source,
                    tags=tags,
                    external_id=f"DEMO-{index + 1:03d}",
                    owner_id=rep.id if index % 2 else admin.id,
                    contacts=[
                        ContactData(name=n, title=t, phone=p, email=e) for n, t, p, e in contacts
                    ],
                ),
            )
            await activities.log_activity(
                viewer,
                ActivityData(
                    customer_id=customer.id,
                    kind=ActivityKind.CALL,
                    occurred_at=now - timedelta(days=3 + index),
                    content="电话沟通需求，客户对专业版感兴趣，希望下周看演示。"
                    if index % 2 == 0
                    else "Intro call: interested in a pilot for their sales team.",
                    next_follow_up_at=now + timedelta(days=2 + index),
                ),
            )
            if kind == CustomerKind.COMPANY:
                await opportunities.create_opportunity(
                    viewer,
                    OpportunityData(
                        customer_id=customer.id,
                        name=f"{name} – CRM 专业版",
                        currency="CNY",
                        expected_close_date=(now + timedelta(days=30 + 7 * index)).date(),
                        line_items=[
                            LineItemData(
                                product_id=crm_suite.id,
                                quantity=Decimal(5 + index),
                                discount=Decimal(10),
                            ),
                            LineItemData(product_id=onboarding.id, quantity=Decimal(1)),
                        ],
                    ),
                )
        return email
    finally:
        await Tortoise.close_connections()
