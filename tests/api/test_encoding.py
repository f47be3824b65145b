"""Responses carry Chinese text as UTF-8, not as \\uXXXX escapes."""

import httpx

from api.graphql_view import encode_response
from tests.helpers import Account

CREATE_CUSTOMER = """
mutation { createCustomer(input: {name: "上海云帆科技有限公司"}) { customer { name } errors { message } } }
"""


async def test_chinese_text_is_sent_as_utf8(client: httpx.AsyncClient, workspace: Account):
    # when
    response = await client.post(
        "/graphql",
        json={"query": CREATE_CUSTOMER},
        headers={"Authorization": f"Bearer {workspace.token}"},
    )

    # then
    assert response.headers["content-type"].startswith("application/json")
    assert "上海云帆科技有限公司".encode() in response.content
    assert b"\\u4e0a" not in response.content
    assert response.json()["data"]["createCustomer"]["customer"]["name"] == "上海云帆科技有限公司"


def test_what_orjson_refuses_is_still_written_as_json():
    # given: an integer beyond 64 bits, which orjson refuses (custom fields stop far below)
    data = {"data": {"big": 10**30, "name": "上海"}}

    # when
    encoded = encode_response(data)

    # then
    assert encoded == '{"data":{"big":1000000000000000000000000000000,"name":"上海"}}'
