"""The headers each import field is recognised by: one table per kind, nowhere else.

A header is compared by its `header_key`: full-width folded, case-folded, only letters and
digits kept, so "Company name", "company_name", "COMPANY-NAME" and "Company Name：" meet,
and "联系人（职位）" is "联系人职位". Beside each field's own name ("leadSource",
"contact.name"), the table holds the headers that real exports use:

- HubSpot: "Company name", "Phone Number", "Company Domain Name", "Record ID", "Job Title",
  "Contact owner", "Deal Name", "Deal Stage", "Close Date", "Associated Company"…
- Salesforce: "Account Name", "Account Number", "Account Owner", "Lead Source", "Title",
  "Mobile", "Opportunity Name", "Assigned To", "Comments"…
- Pipedrive ("Entity - Field"): "Organization - Name", "Person - Name", "Deal - Title",
  "Deal - Value", "Deal - Currency", "Deal - Expected close date", "Deal - Stage",
  "Deal - Owner"…
- Excel and WPS sheets kept by hand in China: 客户名称, 公司名称, 客户编号, 联系人, 联系人职位,
  手机, 电话, 邮箱, 电子邮件, 负责人, 所属行业, 客户来源, 备注…

Within a kind no two fields may share a key (`tests/imports/test_headers.py` checks it, and
has one test per alias). Headers that name nothing we store stay unmapped, and the job
lists them (`ImportJob.columns`): HubSpot's "Lifecycle Stage", Salesforce's
"Account Type" (its values are not a customer kind), a split "First Name"/"Last Name"
(neither half is a contact's name).
"""

from __future__ import annotations

import unicodedata

from models.enums import ImportKind

Aliases = dict[str, tuple[str, ...]]

CUSTOM_FIELD_PREFIX = "customFields."


def header_key(header: str) -> str:
    """A header as compared: full-width folded, case-folded, only letters and digits kept.

    "E-mail", "email " and "ＥＭＡＩＬ" meet; so do "Lead Source", "lead_source" and
    "Organization - Name" / "organization name"; Chinese punctuation （）：、 goes too.
    """
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(char for char in folded if char.isalnum())


# Headers that mean the same in a file of customers and one of contacts.
_PHONE = (
    "电话",
    "手机",
    "手机号",
    "手机号码",
    "电话号码",
    "联系电话",
    "phone",
    "phone number",
    "mobile",
    "mobile phone",
    "mobile phone number",
    "tel",
    "telephone",
)
_EMAIL = ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "email address")
_TITLE = ("职位", "职务", "联系人职位", "联系人职务", "title", "job title")
_NOTES = ("备注", "说明", "notes", "note", "remark", "remarks", "description")

_CUSTOMERS: Aliases = {
    "name": (
        "客户名称",
        "公司名称",
        "企业名称",
        "单位名称",
        "客户全称",
        "名称",
        "客户",
        "公司",
        "name",
        "company",
        "company name",
        "customer",
        "customer name",
        "account name",
        "organization",
        "organization name",
        "organisation name",
    ),
    "kind": ("类型", "客户性质", "type", "kind", "customer type"),
    "phone": (*_PHONE, "座机", "公司电话", "organization phone"),
    "email": (*_EMAIL, "邮件"),
    "website": (
        "网址",
        "网站",
        "官网",
        "公司网址",
        "website",
        "website url",
        "url",
        "domain",
        "company domain name",
    ),
    "industry": ("行业", "所属行业", "industry"),
    "leadSource": (
        "线索来源",
        "客户来源",
        "来源",
        "lead source",
        "source",
        "original source",
        "organization source",
    ),
    "tags": ("标签", "tags", "labels", "organization labels"),
    "externalId": (
        "外部编号",
        "客户编号",
        "客户代码",
        "客户id",
        "编号",
        "external id",
        "id",
        "record id",
        "company id",
        "account id",
        "account number",
        "organization id",
        "customer id",
    ),
    "owner": (
        "负责人",
        "客户负责人",
        "销售负责人",
        "owner",
        "contact owner",
        "company owner",
        "account owner",
        "organization owner",
    ),
    "notes": _NOTES,
    "contact.name": (
        "联系人",
        "联系人姓名",
        "contact",
        "contact name",
        "contact person",
        "person name",
    ),
    "contact.phone": (
        "联系人电话",
        "联系人手机",
        "contact phone",
        "contact mobile",
        "person phone",
    ),
    "contact.email": ("联系人邮箱", "contact email", "person email"),
    "contact.title": (*_TITLE, "contact title", "person job title"),
}

# Contacts, activities and opportunities name the customer they belong to; each row's
# link is tried in this order, with whichever of these columns the file has.
_CUSTOMER_LINK: Aliases = {
    "customer.externalId": (
        "客户编号",
        "客户外部编号",
        "客户id",
        "customer external id",
        "customer id",
        "account id",
        "account number",
        "organization id",
        "associated company id",
    ),
    "customer.phone": ("客户电话", "客户手机", "公司电话", "customer phone", "organization phone"),
    "customer.name": (
        "客户名称",
        "客户",
        "公司名称",
        "公司",
        "所属客户",
        "所属公司",
        "customer",
        "customer name",
        "company",
        "company name",
        "account name",
        "associated company",
        "organization",
        "organization name",
        "person organization",
        "deal organization",
    ),
}
# In a file of activities or deals a bare phone column is the customer's (a contact's
# phone there finds no customer, and the name column is tried next).
_CUSTOMER_LINK_WITH_PHONE: Aliases = _CUSTOMER_LINK | {
    "customer.phone": (
        *_CUSTOMER_LINK["customer.phone"],
        "电话",
        "手机",
        "联系电话",
        "phone",
        "phone number",
        "mobile",
        "tel",
    )
}

_CONTACTS: Aliases = {
    "name": (
        "姓名",
        "联系人",
        "联系人姓名",
        "name",
        "contact",
        "contact name",
        "full name",
        "person name",
    ),
    "phone": (*_PHONE, "联系人电话", "联系人手机", "person phone"),
    "email": (*_EMAIL, "联系人邮箱", "person email"),
    "title": (*_TITLE, "position", "person job title"),
    "isPrimary": ("主联系人", "是否主联系人", "primary", "is primary", "primary contact"),
    "notes": _NOTES,
    **_CUSTOMER_LINK,
}

_ACTIVITIES: Aliases = {
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
    **_CUSTOMER_LINK_WITH_PHONE,
}

_OPPORTUNITIES: Aliases = {
    "name": (
        "商机名称",
        "机会名称",
        "项目名称",
        "商机",
        "名称",
        "name",
        "opportunity",
        "opportunity name",
        "deal",
        "deal name",
        "deal - title",
    ),
    "pipeline": ("销售流程", "流程", "pipeline", "deal - pipeline"),
    "stage": ("阶段", "销售阶段", "商机阶段", "stage", "deal stage", "deal - stage"),
    "amount": ("金额", "商机金额", "预计金额", "amount", "value", "deal - value"),
    "currency": ("币种", "货币", "currency", "deal - currency", "opportunity currency"),
    "expectedCloseDate": (
        "预计成交日期",
        "预计成交时间",
        "预计签单日期",
        "expected close date",
        "close date",
        "deal - expected close date",
    ),
    "owner": ("负责人", "销售", "owner", "deal owner", "opportunity owner", "deal - owner"),
    "probability": (
        "赢率",
        "成交概率",
        "概率",
        "probability",
        "probability (%)",
        "win probability",
        "deal - probability",
    ),
    "externalId": (
        "外部编号",
        "商机编号",
        "编号",
        "external id",
        "id",
        "record id",
        "opportunity id",
        "deal id",
        "deal - id",
    ),
    **_CUSTOMER_LINK_WITH_PHONE,
}

ALIASES: dict[ImportKind, Aliases] = {
    ImportKind.CUSTOMERS: _CUSTOMERS,
    ImportKind.CONTACTS: _CONTACTS,
    ImportKind.ACTIVITIES: _ACTIVITIES,
    ImportKind.OPPORTUNITIES: _OPPORTUNITIES,
}
