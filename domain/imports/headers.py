"""How a header is compared (`header_key`), and the headers several kinds share (each kind's
table is its spec's `fields`: docs/ARCHITECTURE.md). Headers naming nothing we store stay
unmapped, and the job lists them (`ImportJob.columns`): HubSpot's "Lifecycle Stage",
Salesforce's "Account Type" (its values are not a customer kind), a split "First Name"/"Last
Name" (neither half is a contact's name).
"""

from __future__ import annotations

import unicodedata

Aliases = dict[str, tuple[str, ...]]

CUSTOM_FIELD_PREFIX = "customFields."


def header_key(header: str) -> str:
    """A header as compared: full-width folded, case-folded, only letters and digits kept,
    so "E-mail", "email " and "ＥＭＡＩＬ" meet; so do "Lead Source", "lead_source" and
    "Organization - Name" / "organization name", and "联系人（职位）" is "联系人职位"."""
    folded = unicodedata.normalize("NFKC", header).casefold()
    return "".join(char for char in folded if char.isalnum())


# Headers that mean the same in a file of customers and one of contacts.
PHONE = (
    "电话",
    "手机",
    "手机号",
    "手机号码",
    "电话号码",
    "联系电话",
    "phone number",
    "mobile",
    "mobile phone",
    "mobile phone number",
    "tel",
    "telephone",
)
EMAIL = ("邮箱", "电子邮件", "电子邮箱", "email address")
TITLE = ("职位", "职务", "联系人职位", "联系人职务", "title", "job title")
NOTES = ("备注", "说明", "note", "remark", "remarks", "description")

# A customer's external id in the headers of its own file and of the files that name it.
CUSTOMER_ID = (
    "客户编号",
    "客户id",
    "customer id",
    "account id",
    "account number",
    "organization id",
)
# Contacts, activities and opportunities name the customer they belong to; each row's
# link is tried in this order, with whichever of these columns the file has.
CUSTOMER_LINK: Aliases = {
    "customer.externalId": (*CUSTOMER_ID, "客户外部编号", "associated company id"),
    "customer.phone": ("客户电话", "客户手机", "公司电话", "organization phone"),
    "customer.name": (
        "客户名称",
        "客户",
        "公司名称",
        "公司",
        "所属客户",
        "所属公司",
        "customer",
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
CUSTOMER_LINK_WITH_PHONE: Aliases = CUSTOMER_LINK | {
    "customer.phone": (
        *CUSTOMER_LINK["customer.phone"],
        "电话",
        "手机",
        "联系电话",
        "phone",
        "phone number",
        "mobile",
        "tel",
    )
}
