"""The `crm` command: run, migrate, seed and inspect the CRM."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from cli.workspace_ids import parse_workspace_id
from crm.settings import ConfigError, Settings, get_settings

log = logging.getLogger("crm")
T = TypeVar("T")


def _configure_logging() -> None:
    from crm.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


def _on_database(command: str, work: Coroutine[Any, Any, T]) -> T:
    """Runs `work`; a database that cannot be reached ends the command with one line naming
    it, why, and DATABASE_URL (any other failure keeps its traceback)."""
    from crm.db import normalize_db_url
    from crm.unreachable import explain_database, sqlite_folder_problem

    url = normalize_db_url(get_settings().database_url)
    if url.startswith("sqlite://") and (problem := sqlite_folder_problem(url)):
        work.close()
        sys.exit(f"crm {command}: {problem}")
    try:
        return asyncio.run(work)
    except Exception as error:
        reason = explain_database(error, url)
        if reason is None:
            raise
        sys.exit(f"crm {command}: {reason}")


def cmd_migrate(args: argparse.Namespace) -> None:
    from crm.database_wait import DatabaseUnreachable, wait_for_database
    from crm.migrations import apply_migrations

    if args.wait:
        try:
            wait_for_database(get_settings().database_url, args.wait)
        except DatabaseUnreachable as error:
            sys.exit(str(error))
    _on_database("migrate", apply_migrations())
    print("migrations applied")


def _exit_cleanly_on_sigterm() -> None:
    """After a graceful shutdown uvicorn re-raises SIGTERM; exiting through Python (not the
    default handler) still runs `finally` blocks and atexit hooks (the worker, embedded Redis)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def uvicorn_edge_options(settings: Settings) -> dict[str, Any]:
    """What uvicorn believes and reads from a client, as the settings say.

    X-Forwarded-For/-Proto only from TRUSTED_PROXIES: uvicorn's own default believes them
    from 127.0.0.1, which on a shared host or behind a sidecar is anyone. WebSocket messages
    are capped like request bodies (MAX_BODY_BYTES; uvicorn's default is 16 MiB).
    """
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or [],
        "ws_max_size": settings.max_body_bytes,
    }


def edge_warnings(settings: Settings) -> list[str]:
    """What the operator must hear at start-up about what uvicorn will believe."""
    if settings.trusted_proxies == ["*"]:
        # uvicorn then takes the left-most X-Forwarded-For entry, which the client writes.
        return [
            "TRUSTED_PROXIES=* believes the X-Forwarded-For of every client: one that sends "
            "its own is counted as whatever address it names, so the per-address sign-in and "
            "sign-up limits do not hold. Name your proxies' addresses or CIDRs instead."
        ]
    return []


def _refuse_a_taken_port(command: str, host: str, port: int) -> None:
    """One line now, rather than uvicorn's error after the start-up has run."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as error:
            sys.exit(
                f"crm {command}: cannot listen on {host}:{port} (PORT or --port): "
                f"{(error.strerror or str(error)).lower()}"
            )


def _hold_the_folder(command: str, settings: Settings, holder: str) -> None:
    """The embedded Redis is this folder's: refuse if another process runs on it."""
    from cli.dev_lock import FolderInUse, hold_folder

    try:
        hold_folder(settings.embedded_redis_path, holder)
    except FolderInUse as error:
        sys.exit(f"crm {command}: {error}")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    port = args.port or settings.port
    if not settings.redis_url:  # this process will start (or attach to) the embedded Redis
        _hold_the_folder("serve", settings, f"crm serve on http://{args.host}:{port}")
    _refuse_a_taken_port("serve", args.host, port)
    for warning in edge_warnings(settings):
        log.warning(warning)
    _exit_cleanly_on_sigterm()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=port,
        log_level=settings.log_level.lower(),
        # Not uvicorn's own handlers: its lines go through ours (crm.logs), so with
        # LOG_FORMAT=json its access and error lines are JSON like the rest.
        log_config=None,
        **uvicorn_edge_options(settings),
    )


def cmd_worker(args: argparse.Namespace) -> None:
    from arq.worker import check_health, get_kwargs

    from workers.settings import WORKERS, build_worker, health_check_key, redis_settings

    worker_class = WORKERS[args.queue]
    if args.check:
        # Exit 0 when this replica (--replica, else this host's name) reported health recently
        # (docker healthcheck). A dict, not a subclass: arq reads only a class's own __dict__,
        # so a subclass would lose the queue name and probe arq's default queue instead.
        # One try (not arq's five, a second apart): a health check answers now.
        settings = dataclasses.replace(redis_settings(), conn_retries=0)
        try:
            sys.exit(
                check_health(
                    {
                        **get_kwargs(worker_class),
                        "redis_settings": settings,
                        "health_check_key": health_check_key(args.queue, args.replica),
                    }
                )
            )
        except Exception as error:
            from crm.unreachable import explain_redis

            url = get_settings().redis_url  # (the embedded Redis is this process's own)
            reason = explain_redis(error, url) if url else None
            if reason is None:
                raise
            sys.exit(f"crm worker --check: {reason}")
    build_worker(args.queue, args.replica).run()


def cmd_export_schema(args: argparse.Namespace) -> None:
    from api.schema import build_schema

    Path(args.output).write_text(build_schema().as_str() + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


def cmd_seed(args: argparse.Namespace) -> None:
    from cli.seed import SeedRefused, refuse_production, seed

    try:
        refuse_production(get_settings(), args.force)
    except SeedRefused as refusal:
        sys.exit(str(refusal))
    result = _on_database("seed", seed(email=args.email, password=args.password))
    print(
        f"demo workspace {'ready' if result.created else 'already there'}: "
        f"workspace id {result.workspace_id}; sign in as {result.email} / {args.password}"
    )


def cmd_import(args: argparse.Namespace) -> None:
    from cli.importer import import_file
    from models.enums import ImportKind, ImportMode

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"crm import: no file {path}")
    sys.exit(
        _on_database(
            "import",
            import_file(
                path.read_bytes(),
                path.name,
                workspace_id=args.workspace,
                kind=ImportKind(args.kind.upper()),
                mode=ImportMode(args.mode.upper()),
                match_on=args.match_on.split(",") if args.match_on else None,
                mapping=args.map,
                dry_run=args.dry_run,
            ),
        )
    )


def cmd_dev(args: argparse.Namespace) -> None:
    """SQLite + embedded Redis, migrations applied, the API and a worker per queue, GraphiQL
    printed."""
    from crm.migrations import apply_migrations
    from crm.redis import publish_url_to_children, start_embedded_redis

    settings = get_settings()
    port = args.port = args.port or settings.port
    # Before anything else: a second run here must not touch the first one's Redis.
    _hold_the_folder("dev", settings, f"crm dev on http://{args.host}:{port}")
    _refuse_a_taken_port("dev", args.host, port)
    _on_database("dev", apply_migrations())
    url = settings.redis_url or start_embedded_redis(settings.embedded_redis_path)
    publish_url_to_children(url)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker", "--queue", queue], env=os.environ.copy()
        )
        for queue in ("default", "imports")
    ]
    print(f"\n  CRM is running: GraphiQL at http://{args.host}:{port}/graphql\n", flush=True)
    try:
        cmd_serve(args)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    # --port's default is PORT, read with the other settings (a bad one is one line).
    port_help = "default: PORT, else 8000"

    dev = commands.add_parser("dev", help="run API + worker on SQLite and an embedded Redis")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, help=port_help)
    dev.set_defaults(handler=cmd_dev)

    serve = commands.add_parser("serve", help="run the API server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help=port_help)
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run an arq worker")
    worker.add_argument("--queue", default="default", choices=["default", "imports"])
    worker.add_argument(
        "--check", action="store_true", help="exit 0 if this replica's worker is healthy"
    )
    worker.add_argument(
        "--replica",
        help="this worker's name, for its own health key (default: the host name; name each "
        "worker when several of one queue run on one host)",
    )
    worker.set_defaults(handler=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the database server to accept connections",
    )
    migrate.set_defaults(handler=cmd_migrate)

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default="schema.graphql")
    export.set_defaults(handler=cmd_export_schema)

    importer = commands.add_parser("import", help="import a CSV, XLSX or JSONL file")
    importer.add_argument("file")
    importer.add_argument(
        "--workspace",
        type=parse_workspace_id,
        required=True,
        help="the workspace's id, as the API shows it (crm seed prints the demo's)",
    )
    importer.add_argument(
        "--kind",
        default="customers",
        choices=["customers", "contacts", "activities", "opportunities"],
        help="what the rows are (default: customers)",
    )
    importer.add_argument("--mode", default="upsert", choices=["create", "upsert", "update"])
    importer.add_argument(
        "--match-on",
        help="fields that find an existing record, in order (default: the kind's own, from the "
        "import kinds' registry; a field the kind cannot match on is refused, naming those it can)",
    )
    importer.add_argument(
        "--dry-run",
        action="store_true",
        help="check and match every row as a real run would, and write no record",
    )
    importer.add_argument(
        "--map",
        "--mapping",
        dest="map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column to a field (repeatable); COLUMN= leaves the column out",
    )
    importer.set_defaults(handler=cmd_import)

    seed = commands.add_parser("seed", help="create a demo workspace with realistic data")
    seed.add_argument("--email", default="demo@example.com")
    seed.add_argument("--password", default="demo-password")
    seed.add_argument("--force", action="store_true", help="seed even when CRM_ENV=production")
    seed.set_defaults(handler=cmd_seed)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        get_settings()
    except ConfigError as error:
        print(error.code, file=sys.stderr)
        sys.exit(2)
    _configure_logging()
    args.handler(args)


if __name__ == "__main__":
    main()
