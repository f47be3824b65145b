"""The Starlette application: GraphQL over HTTP and WebSocket, import error reports, health
checks, lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import timedelta

from arq.connections import ArqRedis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from tortoise.connection import connections
from tortoise.contrib.starlette import RegisterTortoise

from api import graphiql
from api.activities.due_reminders import ReminderListener
from api.context import link_base
from api.graphql_view import CRMGraphQL
from api.imports import downloads
from api.schema import build_schema
from crm.db import tortoise_config
from crm.redis import lazy_pool, redis_url
from crm.settings import Settings, get_settings
from domain.accounts import Authenticator

log = logging.getLogger("crm.api")


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


# A check waits no longer than this: a probe that hangs on a dead host says nothing.
READY_CHECK_TIMEOUT = 3.0


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, READY_CHECK_TIMEOUT)
    except Exception as error:  # any failure means "not ready", whatever the driver raised
        return f"unavailable: {type(error).__name__}"
    return "ok"


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database and Redis both answer; otherwise 503 naming what is down.

    Neither is needed to start: the database pool and the Redis client connect on first
    use and again after a failure, so this turns 200 by itself once both answer.
    """
    redis: ArqRedis = request.app.state.redis
    checks = {
        "database": await _check(connections.get("default").execute_query("SELECT 1")),
        "redis": await _check(redis.ping()),
    }
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    authenticator = Authenticator(settings.secret_key, timedelta(hours=settings.session_ttl_hours))
    graphql = CRMGraphQL(
        build_schema(settings),
        authenticator=authenticator,
        import_max_bytes=settings.import_max_bytes,
        max_body_bytes=settings.max_body_bytes,
        max_import_body_bytes=settings.max_import_body_bytes,
        max_query_tokens=settings.max_query_tokens,
        link_base=link_base(settings.public_url, production=settings.crm_env == "production"),
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            # Connects on first use: the API starts (and /readyz says 503) while Redis is down.
            app.state.redis = lazy_pool(redis_url(settings.redis_url, settings.embedded_redis_path))
            # One subscription to reminder announcements per process, shared by reminderDue.
            app.state.reminder_listener = ReminderListener(app.state.redis)
            try:
                yield
            finally:
                await app.state.reminder_listener.aclose()
                await app.state.redis.aclose()

    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "OPTIONS"],
                # The preflight headers let a browser send file uploads (see api.uploads).
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "Apollo-Require-Preflight",
                    "X-Requested-With",
                ],
                expose_headers=["Content-Disposition"],
            )
        )
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # Every method reaches the view, which refuses all but GET and POST with a
        # GraphQL error body (Starlette's would be plain text).
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        Route(
            downloads.PATH,
            downloads.error_report_endpoint(authenticator),
            name=downloads.ROUTE_NAME,
        ),
    ]
    if settings.graphiql:
        # GraphiQL's scripts and styles, so that its page needs no CDN (api/graphiql.py).
        routes.append(Mount(graphiql.ASSETS_PATH, app=graphiql.assets_app()))
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
