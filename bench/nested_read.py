"""Benchmark: the nested customer read through GraphQL vs. hand-written SQL, same run, same data.

    python -m bench.nested_read [--customers 200] [--page 50] [--rounds 20]

Uses BENCH_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres, a fresh
database is created and dropped) or a temporary SQLite file. Prints the median time
of each side, their ratio, and the SQL statements per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

# Nested pages sized to the data (3 contacts and 1 deal per customer), so that both sides
# read the same rows and the query stays within the cost budget up to --page 100: a deal's
# lines count as the 200 it may hold, and default pages of 20 deals would ask for 200,000.
QUERY = """
query($first: Int!) {
  customers(first: $first, orderBy: {field: NAME, direction: ASC}) {
    edges { node {
      id name phone
      contacts(first: 5) { edges { node {
        name phone activities(first: 5) { edges { node { content } } }
      } } }
      opportunities(first: 2) { edges { node {
        name amount stage { name } lineItems { name total }
      } } }
      activities(first: 5) { edges { node { content occurredAt author { name } } } }
    } }
  }
}
"""

# The same data, fetched the way a careful hand-written endpoint would: one query per level.
HAND_SQL = [
    "SELECT id, name, phone FROM customer WHERE workspace_id = {ws} ORDER BY name, id LIMIT {n}",
    "SELECT * FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY is_primary "
    "DESC, id) rn FROM contact c WHERE customer_id IN ({ids})) x WHERE rn <= 20",
    "SELECT * FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY occurred_at "
    "DESC, id DESC) rn FROM activity a WHERE contact_id IN (SELECT id FROM contact WHERE "
    "customer_id IN ({ids}))) x WHERE rn <= 5",
    "SELECT o.*, s.name AS stage_name FROM opportunity o JOIN stage s ON s.id = o.stage_id "
    "WHERE o.customer_id IN ({ids})",
    "SELECT * FROM line_item WHERE opportunity_id IN (SELECT id FROM opportunity WHERE "
    "customer_id IN ({ids}))",
    "SELECT * FROM (SELECT a.*, u.name AS author_name, ROW_NUMBER() OVER (PARTITION BY "
    "customer_id ORDER BY occurred_at DESC, a.id DESC) rn FROM activity a LEFT JOIN app_user u "
    "ON u.id = a.author_id WHERE customer_id IN ({ids})) x WHERE rn <= 5",
]


def _database_url() -> tuple[str, str | None]:
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        return f"sqlite://{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}", None
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    return urlunparse(urlparse(base)._replace(path=f"/{name}")), name


async def _populate(customers: int) -> tuple[int, int]:
    from domain import accounts, products
    from domain.viewer import Viewer
    from models import Activity, Contact, Customer, LineItem, Opportunity, Stage
    from models.enums import ActivityKind, Role

    user = await accounts.sign_up(
        workspace_name="Bench",
        name="Bench",
        email=f"bench-{uuid.uuid4().hex[:6]}@example.com",
        password="bench-password",
        timezone="UTC",
    )
    ws = user.workspace_id
    viewer = Viewer(workspace_id=ws, role=Role.ADMIN, user_id=user.id)
    product = await products.create_product(
        viewer, name="Widget", sku=None, unit_price=Decimal("10"), currency="CNY"
    )
    stage = await Stage.filter(workspace_id=ws).order_by("position").first()
    now = datetime.now(UTC)
    await Customer.bulk_create(
        [
            Customer(
                workspace_id=ws, name=f"客户 {i:05d}", phone=f"1380000{i:04d}", owner_id=user.id
            )
            for i in range(customers)
        ]
    )
    ids = [c.id for c in await Customer.filter(workspace_id=ws).order_by("id")]
    await Contact.bulk_create(
        [
            Contact(workspace_id=ws, customer_id=cid, name=f"联系人 {cid}-{k}", is_primary=k == 0)
            for cid in ids
            for k in range(3)
        ]
    )
    contacts = await Contact.filter(workspace_id=ws).values_list("id", "customer_id")
    await Activity.bulk_create(
        [
            Activity(
                workspace_id=ws,
                customer_id=cust,
                contact_id=con,
                author_id=user.id,
                kind=ActivityKind.CALL,
                occurred_at=now - timedelta(hours=k),
                content=f"通话 {k}",
            )
            for con, cust in contacts
            for k in range(3)
        ]
    )
    await Opportunity.bulk_create(
        [
            Opportunity(
                workspace_id=ws,
                customer_id=cid,
                pipeline_id=stage.pipeline_id,
                stage_id=stage.id,
                name=f"Deal {cid}",
                amount=Decimal("20"),
                currency="CNY",
                owner_id=user.id,
            )
            for cid in ids
        ]
    )
    opportunities = await Opportunity.filter(workspace_id=ws).values_list("id", flat=True)
    await LineItem.bulk_create(
        [
            LineItem(
                workspace_id=ws,
                opportunity_id=oid,
                product_id=product.id,
                name="Widget",
                quantity=Decimal(2),
                unit_price=Decimal(10),
                total=Decimal(20),
            )
            for oid in opportunities
        ]
    )
    return ws, user.id


async def run(customers: int, page: int, rounds: int) -> None:
    url, created = _database_url()
    os.environ.update(DATABASE_URL=url, SECRET_KEY="bench", LOG_LEVEL="WARNING")
    os.environ.setdefault("EMBEDDED_REDIS_PATH", str(Path(tempfile.mkdtemp()) / "redis.db"))
    import httpx
    from tortoise.connection import connections

    from api.app import create_app
    from crm.migrations import apply_migrations
    from crm.settings import get_settings
    from domain.accounts import Authenticator
    from models import User
    from tests.helpers import count_queries

    get_settings.cache_clear()
    await apply_migrations(url, create_db=created is not None)
    app = create_app(get_settings())
    async with app.router.lifespan_context(app):
        ws, user_id = await _populate(customers)
        token = await Authenticator(get_settings().secret_key, timedelta(hours=1)).issue(
            await User.get(id=user_id)
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            body = {"query": QUERY, "variables": {"first": page}}
            headers = {"Authorization": f"Bearer {token}"}

            async def graphql() -> None:
                response = await client.post("/graphql", json=body, headers=headers)
                assert "errors" not in response.json(), response.text

            connection = connections.get("default")

            async def hand_written() -> None:
                rows = await connection.execute_query_dict(HAND_SQL[0].format(ws=ws, n=page))
                ids = ",".join(str(r["id"]) for r in rows)
                for sql in HAND_SQL[1:]:
                    await connection.execute_query_dict(sql.format(ids=ids))

            with count_queries() as statements:
                await graphql()
            graphql_statements = len(statements)
            results = {}
            for name, fn in (("hand-written SQL", hand_written), ("GraphQL", graphql)):
                await fn()  # warm up
                times = []
                for _ in range(rounds):
                    start = time.perf_counter()
                    await fn()
                    times.append(time.perf_counter() - start)
                results[name] = statistics.median(times)
    backend = "PostgreSQL" if created else "SQLite"
    print(
        f"nested read of {page} customers ({customers} in the workspace) on {backend}, "
        f"median of {rounds}:"
    )
    for name, seconds in results.items():
        print(f"  {name:18s} {seconds * 1000:8.1f} ms")
    ratio = results["GraphQL"] / results["hand-written SQL"]
    print(
        f"  GraphQL / hand-written = {ratio:.1f}×; GraphQL ran {graphql_statements} SQL "
        f"statements, hand-written {len(HAND_SQL)}"
    )
    if created:
        import asyncpg
        from tortoise import Tortoise

        await Tortoise.close_connections()
        admin = await asyncpg.connect(urlunparse(urlparse(url)._replace(path="/postgres")))
        await admin.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.customers, args.page, args.rounds))


if __name__ == "__main__":
    main()
