"""What the demo workspace is made of: customers, contacts and what was said, in Chinese and
English, drawn from a seeded random generator so that every `crm seed` builds the same one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from models.enums import ActivityKind, CustomerKind

SEED = 20260101

# (city, area code, domain letters)
CITIES = [
    ("上海", "21", "sh"),
    ("北京", "10", "bj"),
    ("深圳", "755", "sz"),
    ("杭州", "571", "hz"),
    ("广州", "20", "gz"),
    ("成都", "28", "cd"),
    ("苏州", "512", "suz"),
    ("南京", "25", "nj"),
    ("武汉", "27", "wh"),
    ("西安", "29", "xa"),
]
BRANDS = [
    ("云帆", "yunfan"),
    ("华信", "huaxin"),
    ("星辰", "xingchen"),
    ("博远", "boyuan"),
    ("德创", "dechuang"),
    ("嘉和", "jiahe"),
    ("瑞丰", "ruifeng"),
    ("天宇", "tianyu"),
    ("汇通", "huitong"),
    ("恒泰", "hengtai"),
    ("金桥", "jinqiao"),
    ("新锐", "xinrui"),
    ("致远", "zhiyuan"),
    ("明达", "mingda"),
    ("中科", "zhongke"),
    ("宏图", "hongtu"),
    ("盛世", "shengshi"),
    ("海纳", "haina"),
    ("鼎新", "dingxin"),
    ("安捷", "anjie"),
    ("九州", "jiuzhou"),
    ("凯越", "kaiyue"),
    ("同创", "tongchuang"),
    ("万象", "wanxiang"),
    ("远航", "yuanhang"),
    ("锦程", "jincheng"),
    ("立信", "lixin"),
    ("华达", "huada"),
    ("卓越", "zhuoyue"),
    ("青松", "qingsong"),
]
# (industry, what the company name ends with)
ZH_INDUSTRIES = [
    ("软件", "科技有限公司"),
    ("制造", "机械制造有限公司"),
    ("咨询", "管理咨询有限公司"),
    ("零售", "商贸有限公司"),
    ("物流", "供应链管理有限公司"),
    ("医疗", "医疗器械有限公司"),
    ("教育", "教育科技有限公司"),
]
ZH_SOURCES = ["展会", "官网", "朋友推荐", "电话营销", "百度推广", "老客户介绍"]
ZH_TAGS = ["重点客户", "SaaS", "华东", "华南", "华北", "续约", "大客户", "价格敏感"]
ZH_PEOPLE = [
    ("王伟", "wangwei"),
    ("李娜", "lina"),
    ("张强", "zhangqiang"),
    ("刘洋", "liuyang"),
    ("陈静", "chenjing"),
    ("杨敏", "yangmin"),
    ("赵磊", "zhaolei"),
    ("黄丽", "huangli"),
    ("周杰", "zhoujie"),
    ("吴婷", "wuting"),
    ("徐刚", "xugang"),
    ("孙悦", "sunyue"),
    ("马超", "machao"),
    ("朱琳", "zhulin"),
    ("胡军", "hujun"),
    ("郭芳", "guofang"),
    ("何平", "heping"),
    ("林晓", "linxiao"),
]
ZH_TITLES = ["采购经理", "总经理", "IT 主管", "销售总监", "财务经理", "运营负责人"]

EN_COMPANIES = [
    ("Acme Robotics Inc.", "acme-robotics.com", "Manufacturing"),
    ("Northwind Traders", "northwind.example", "Retail"),
    ("Blue Harbor Logistics", "blueharbor.example", "Logistics"),
    ("Summit Health Partners", "summithealth.example", "Healthcare"),
    ("Brightline Software", "brightline.example", "Software"),
    ("Greenfield Foods Ltd.", "greenfield.example", "Food & Beverage"),
    ("Orion Analytics", "orion-analytics.example", "Consulting"),
    ("Pioneer Learning Co.", "pioneerlearning.example", "Education"),
    ("Redwood Capital Advisors", "redwoodcap.example", "Finance"),
    ("Silverline Media", "silverline.example", "Media"),
    ("Trident Marine Supply", "tridentmarine.example", "Wholesale"),
    ("Vertex Components GmbH", "vertex-components.example", "Manufacturing"),
]
EN_PERSONS = [
    ("Emily Zhang", "emily.zhang"),
    ("Daniel Brooks", "dbrooks"),
    ("Sophie Martin", "sophie"),
]
EN_SOURCES = ["Referral", "Website", "Trade show", "Cold call", "LinkedIn", "Partner"]
EN_TAGS = ["enterprise", "SMB", "renewal", "EMEA", "North America", "pilot"]
EN_PEOPLE = [
    ("Jane Miller", "jane"),
    ("Tom Baker", "tom"),
    ("Priya Patel", "priya"),
    ("Lucas Weber", "lucas"),
    ("Olivia Chen", "olivia"),
    ("Marcus Reed", "marcus"),
    ("Hannah Scott", "hannah"),
    ("Diego Alvarez", "diego"),
]
EN_TITLES = ["VP Operations", "Buyer", "Head of Sales", "CTO", "Procurement Lead", "COO"]

# What a salesperson writes after each kind of contact, in the customer's language.
ZH_NOTES: list[tuple[ActivityKind, str]] = [
    (ActivityKind.CALL, "电话沟通需求，客户对专业版感兴趣，希望下周看演示。"),
    (ActivityKind.CALL, "客户表示预算在审批中，月底前答复。"),
    (ActivityKind.VISIT, "上门拜访，见了销售团队，了解了他们现在用 Excel 跟进客户的流程。"),
    (ActivityKind.MEETING, "线上演示产品，采购经理询问了批量折扣和发票问题。"),
    (ActivityKind.MESSAGE, "微信发送了产品资料和同行业案例。"),
    (ActivityKind.EMAIL, "邮件发送报价单，等待客户反馈。"),
    (ActivityKind.NOTE, "客户换了新的 IT 主管，需要重新建立联系。"),
    (ActivityKind.MEETING, "与总经理面谈，确认了实施时间表和培训安排。"),
    (ActivityKind.CALL, "回访：试用账号已开通，客户反馈导入功能很方便。"),
    (ActivityKind.VISIT, "参加客户年会，顺便沟通了明年的续约计划。"),
    (ActivityKind.MESSAGE, "客户在微信上问能否按季度付款，已转财务确认。"),
    (ActivityKind.EMAIL, "发送合同草稿，法务在审阅中。"),
]
EN_NOTES: list[tuple[ActivityKind, str]] = [
    (ActivityKind.CALL, "Intro call: interested in a pilot for their sales team."),
    (ActivityKind.CALL, "Budget is waiting for sign-off; they expect an answer by month end."),
    (ActivityKind.VISIT, "On-site visit: met the sales team, they track leads in spreadsheets."),
    (ActivityKind.MEETING, "Product demo; procurement asked about volume discounts."),
    (ActivityKind.MESSAGE, "Sent the product sheet and two case studies from their industry."),
    (ActivityKind.EMAIL, "Emailed the quote, waiting for feedback."),
    (ActivityKind.NOTE, "New IT lead joined; need to build the relationship again."),
    (ActivityKind.MEETING, "Met the COO: agreed on the rollout timeline and training."),
    (ActivityKind.CALL, "Check-in: trial account is live, they like the import."),
    (ActivityKind.EMAIL, "Sent the contract draft; legal is reviewing it."),
]
ZH_LOST_REASONS = ["价格太高", "选择了竞争对手", "项目预算取消", "客户内部决定暂缓"]
EN_LOST_REASONS = ["Price too high", "Went with a competitor", "Budget cut", "Project on hold"]

# (name, sku, unit price, currency)
PRODUCTS = [
    ("CRM 专业版（每用户/年）", "CRM-PRO-SEAT", Decimal("1200"), "CNY"),
    ("实施服务 Onboarding", "SVC-ONB", Decimal("8000"), "CNY"),
    ("数据迁移 Data migration", "SVC-MIG", Decimal("5000"), "CNY"),
    ("CRM Pro (per seat, year)", "CRM-PRO-SEAT-USD", Decimal("180"), "USD"),
    ("Onboarding package", "SVC-ONB-USD", Decimal("1500"), "USD"),
]

# (name, e-mail handle): the three reps the customers are shared among.
REPS = [("刘洋", "liuyang"), ("王芳", "wangfang"), ("Alex Johnson", "alex")]


@dataclass
class ContactSpec:
    name: str
    title: str
    phone: str | None
    email: str | None


@dataclass
class CustomerSpec:
    name: str
    kind: CustomerKind
    chinese: bool
    phone: str
    email: str
    industry: str | None
    lead_source: str
    tags: list[str]
    website: str | None = None
    contacts: list[ContactSpec] = field(default_factory=list)


class _Numbers:
    """Phone numbers that never repeat within the demo."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _fresh(self, make: Callable[[random.Random], str]) -> str:
        while (number := make(self.rng)) in self.used:
            pass
        self.used.add(number)
        return number

    def mobile(self) -> str:
        return self._fresh(
            lambda r: f"1{r.choice('3589')}{r.randrange(10)}{r.randrange(10**8):08d}"
        )

    def landline(self, area: str) -> str:
        return self._fresh(
            lambda r: f"+86 {area} {r.randrange(5000, 9000)} {r.randrange(10**4):04d}"
        )

    def american(self) -> str:
        # 555-01xx: the numbers set aside for fiction.
        return self._fresh(
            lambda r: f"+1 {r.choice(['415', '206', '212'])} 555 01{r.randrange(100):02d}"
        )


def _zh_company(rng: random.Random, numbers: _Numbers, brand: tuple[str, str]) -> CustomerSpec:
    city, area, letters = rng.choice(CITIES)
    industry, suffix = rng.choice(ZH_INDUSTRIES)
    domain = f"{brand[1]}-{letters}.cn"
    people = rng.sample(ZH_PEOPLE, rng.randint(1, 3))
    return CustomerSpec(
        name=f"{city}{brand[0]}{suffix}",
        kind=CustomerKind.COMPANY,
        chinese=True,
        phone=numbers.landline(area),
        email=f"info@{domain}",
        industry=industry,
        lead_source=rng.choice(ZH_SOURCES),
        tags=rng.sample(ZH_TAGS, rng.randint(1, 2)),
        website=f"https://www.{domain}",
        contacts=[
            ContactSpec(name, rng.choice(ZH_TITLES), numbers.mobile(), f"{handle}@{domain}")
            for name, handle in people
        ],
    )


def _en_company(
    rng: random.Random, numbers: _Numbers, company: tuple[str, str, str]
) -> CustomerSpec:
    name, domain, industry = company
    people = rng.sample(EN_PEOPLE, rng.randint(1, 2))
    return CustomerSpec(
        name=name,
        kind=CustomerKind.COMPANY,
        chinese=False,
        phone=numbers.american(),
        email=f"hello@{domain}",
        industry=industry,
        lead_source=rng.choice(EN_SOURCES),
        tags=rng.sample(EN_TAGS, rng.randint(1, 2)),
        website=f"https://{domain}",
        contacts=[
            ContactSpec(person, rng.choice(EN_TITLES), numbers.american(), f"{handle}@{domain}")
            for person, handle in people
        ],
    )


def customers(rng: random.Random) -> list[CustomerSpec]:
    """50 customers: 30 Chinese companies, 12 English-speaking ones, 8 people."""
    numbers = _Numbers(rng)
    found = [_zh_company(rng, numbers, brand) for brand in BRANDS]
    found += [_en_company(rng, numbers, company) for company in EN_COMPANIES]
    for name, handle in rng.sample(ZH_PEOPLE, 5):
        found.append(
            CustomerSpec(
                name=name,
                kind=CustomerKind.PERSON,
                chinese=True,
                phone=numbers.mobile(),
                email=f"{handle}@example.cn",
                industry=None,
                lead_source=rng.choice(ZH_SOURCES),
                tags=["个人客户"],
            )
        )
    for name, handle in EN_PERSONS:
        found.append(
            CustomerSpec(
                name=name,
                kind=CustomerKind.PERSON,
                chinese=False,
                phone=numbers.american(),
                email=f"{handle}@example.com",
                industry=None,
                lead_source=rng.choice(EN_SOURCES),
                tags=["B2C"],
            )
        )
    rng.shuffle(found)
    return found
