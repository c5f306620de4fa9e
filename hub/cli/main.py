"""The `alerthub` command: run the hub (serve, project), feed it (ingest), inspect it (channels,
projections, schema check) and read its history (export, replay, shadow). `alerthub CMD --help`
describes each; every command reads the same `ALERTHUB_*` settings (README, Settings)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
import uvicorn
from fastapi import FastAPI

from adapters.fidelity import measure, render_markdown
from domain.errors import AlertHubError, ConfigurationError
from domain.rights import Publisher
from hub.api.app import create_app
from hub.api.server import server_options
from hub.bootstrap import Hub, bootstrap
from hub.cli.analysts import add_commands
from hub.cli.common import settings_from
from hub.cli.partners import add_commands as add_partner_commands
from hub.cli.partners import operator
from hub.cli.privacy import add_commands as add_privacy_commands
from hub.cli.projections import add_commands as add_projection_commands
from hub.cli.signatures import add_commands as add_signature_commands
from hub.cli.subscriptions import add_subscription_commands
from hub.logging import configure_logging
from hub.security.local import ensure_local_partner
from hub.settings import Settings, as_environment, load_settings
from hub.streaming import schema_check

log = structlog.get_logger("hub.cli")

MEDIA_TYPES_BY_SUFFIX = {".xml": "application/xml", ".json": "application/json"}


def serve(args: argparse.Namespace) -> int:
    if args.workers > 1:
        return _serve_workers(settings_from(args), args.workers)
    hub = bootstrap(settings_from(args))
    ensure_local_partner(hub.registry, hub.settings)
    hub.start()
    settings = hub.settings
    log.info(
        "serving", url=f"http://{settings.host}:{settings.port}", data_dir=str(settings.data_dir)
    )
    try:
        uvicorn.run(
            create_app(hub), host=settings.host, port=settings.port, **server_options(settings)
        )
    finally:
        hub.close()
    return 0


def _serve_workers(settings: Settings, workers: int) -> int:
    """N API processes on one port, each a whole hub on the shared database (and Kafka)."""
    if settings.database_url is None:
        raise ConfigurationError(
            "serve --workers needs ALERTHUB_DATABASE_URL: SQLite files belong to one process"
        )
    configure_logging(settings)
    _first_start(settings)
    os.environ.update(as_environment(settings))  # what each worker process reads back
    log.info("serving", url=f"http://{settings.host}:{settings.port}", workers=workers)
    uvicorn.run(
        "hub.cli.main:worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    return 0


def _first_start(settings: Settings) -> None:
    """The local partner is made once, here, not raced for by the workers."""
    quiet = {"run_projector": False, "run_relay": False, "kafka_ingress": False}
    hub = bootstrap(
        settings.model_copy(update=quiet | {"run_deliveries": False}), configure_logs=False
    )
    try:
        ensure_local_partner(hub.registry, hub.settings)
    finally:
        hub.close()


def worker_app() -> FastAPI:
    """One API worker of `serve --workers N`: its own hub, closed when the worker stops."""
    hub = bootstrap(load_settings())
    hub.start()
    app = create_app(hub)

    @asynccontextmanager
    async def lifespan(_: object) -> AsyncIterator[None]:
        try:
            yield
        finally:
            hub.close()

    app.router.lifespan_context = lifespan
    return app


def ingest(args: argparse.Namespace) -> int:
    """Ingest native message files through the same path as HTTP; exit 1 if any was rejected."""
    hub = bootstrap(settings_from(args))
    rejected = 0
    try:
        for path in args.files:
            rejected += _ingest_file(
                hub, args.channel, Path(path), args.media_type, confirm_end=args.confirm_end
            )
        hub.follower.catch_up()
    finally:
        hub.close()
    return 1 if rejected else 0


def _ingest_file(
    hub: Hub, channel: str, path: Path, media_type: str | None, *, confirm_end: bool
) -> int:
    content_type = media_type or MEDIA_TYPES_BY_SUFFIX.get(path.suffix, "application/octet-stream")
    try:
        result = hub.service.ingest(
            channel,
            path.read_bytes(),
            content_type,
            publisher=Publisher.operator(operator()),
            confirm_end=confirm_end,
        )
    except (AlertHubError, OSError) as exc:
        log.error("ingest.rejected", file=str(path), error=type(exc).__name__, detail=str(exc))
        return 1
    log.info(
        "ingest.accepted",
        file=str(path),
        duplicates=result.duplicates,
        alerts=[str(a.alert_id) for a in result.accepted],
        events=sum(len(a.events) for a in result.accepted),
    )
    return 0


HEARTBEAT = "projector.heartbeat"
HEARTBEAT_SECONDS = 5.0


def project(args: argparse.Namespace) -> int:
    """Run only the projections, until SIGTERM or Ctrl-C (a process of its own in Kafka mode).

    While the projections run without error, `DATA_DIR/projector.heartbeat` is touched every
    few seconds; a stale or missing file means a stuck or failing projector (docker-compose's
    health check reads it).
    """
    only_projector = {"run_relay": False, "kafka_ingress": False, "run_projector": True}
    hub = bootstrap(settings_from(args).model_copy(update=only_projector))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    hub.start()
    log.info("projecting", projections=[p.name for p in hub.follower.projections])
    heartbeat = hub.settings.data_dir / HEARTBEAT
    try:
        while not stop.wait(HEARTBEAT_SECONDS):
            if hub.follower.running and hub.follower.last_error is None:
                heartbeat.touch()  # a container health check reads its age
    except KeyboardInterrupt:
        pass
    finally:
        hub.close()
    return 0


def channels(args: argparse.Namespace) -> int:
    hub = bootstrap(settings_from(args))
    try:
        rows = [{"name": c.name, "media_types": list(c.media_types)} for c in hub.channels.values()]
        reports = [measure(c) for c in hub.channels.values()] if args.fidelity else []
    finally:
        hub.close()
    if args.fidelity and args.json:
        sys.stdout.write(json.dumps([r.to_json() for r in reports], indent=2) + "\n")
    elif args.fidelity:
        sys.stdout.write(render_markdown(reports))
    elif args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        sys.stdout.writelines(f"{r['name']:<12} {', '.join(r['media_types'])}\n" for r in rows)
    return 0


def schema(args: argparse.Namespace) -> int:
    """`alerthub schema check [CANDIDATE]`: FULL_TRANSITIVE against every kept version."""
    argv = [str(args.candidate)] if args.candidate else []
    return schema_check.main([*argv, *(["--freeze"] if args.freeze else [])])


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="where the SQLite files live (default ./var)")
    common.add_argument("--env-file", type=Path, help="an env file of ALERTHUB_* settings")
    common.add_argument("--log-format", choices=["json", "console"], help="log renderer")
    parser = argparse.ArgumentParser(prog="alerthub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    commands: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
        "serve": (serve, "run the HTTP API and the projections"),
        "ingest": (ingest, "ingest native message files through a channel"),
        "project": (project, "run the projections only (a separate process in Kafka mode)"),
        "channels": (channels, "list installed channels"),
        "schema": (schema, "check a candidate Avro schema against every kept version"),
    }
    for name, (handler, text) in commands.items():
        cmd = sub.add_parser(name, parents=[common], help=text, description=text)
        cmd.set_defaults(handler=handler)
        if name == "serve":
            cmd.add_argument("--host", help="bind address (default 127.0.0.1)")
            cmd.add_argument("--port", type=int, help="port (default 8000)")
            cmd.add_argument(
                "--workers",
                type=int,
                default=1,
                help="API processes on the port (more than 1 needs ALERTHUB_DATABASE_URL)",
            )
        if name == "ingest":
            cmd.add_argument("channel", help="channel name, e.g. cap")
            cmd.add_argument("files", nargs="+", help="native message files")
            cmd.add_argument("--media-type", help="override the media type guessed from the suffix")
            cmd.add_argument(
                "--confirm-end",
                action="store_true",
                help="a feed snapshot may end most of the channel's alerts at once: you mean it",
            )
        if name == "schema":
            cmd.add_argument("action", choices=["check"], help="what to do")
            cmd.add_argument("candidate", nargs="?", type=Path, help="candidate .avsc")
            cmd.add_argument("--freeze", action="store_true", help="keep it as the next version")
        if name == "channels":
            cmd.add_argument("--json", action="store_true", help="print JSON")
            cmd.add_argument(
                "--fidelity", action="store_true", help="measure what each channel carries"
            )
    add_commands(sub, common)
    add_projection_commands(sub, common)
    add_signature_commands(sub, common)
    add_partner_commands(sub, common)
    add_subscription_commands(sub, common)
    add_privacy_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except AlertHubError as exc:
        log.error("failed", error=type(exc).__name__, detail=str(exc))
        return 2
    return code
