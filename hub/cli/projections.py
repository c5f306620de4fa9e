"""`alerthub projections status | rebuild NAME... | rebuild --all`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import structlog

from hub.analysts.window import reading_hub
from hub.bootstrap import Hub, live_projections
from hub.cli.common import settings_from
from hub.privacy.erasure import Due
from projections.base import Projection, deadletters
from projections.rebuild import rebuild
from projections.stream import lag

log = structlog.get_logger("hub.cli")


def _live(hub: Hub) -> dict[str, Callable[[str], Projection]]:
    """Each live projection by name, as a factory of a copy with a given table prefix."""

    def build(prefix: str = "") -> list[Projection]:
        return list(live_projections(hub.channels, hub.geography, hub.lifetimes, prefix))

    def factory(index: int) -> Callable[[str], Projection]:
        return lambda prefix: build(prefix)[index]

    return {p.name: factory(i) for i, p in enumerate(build())}


def _status(hub: Hub) -> list[dict[str, Any]]:
    head = hub.stream.head()
    return [
        {
            "projection": name,
            "checkpoint": checkpoint,
            "lag": lag(head, checkpoint),
            "deadletters": len(deadletters(hub.views, name)),
        }
        for name, checkpoint in hub.follower.checkpoints().items()
    ]


def _next_erasure(due: Due) -> dict[str, Any]:
    return {"alert_id": str(due.alert_id), "channel": due.channel, "due_at": due.at.isoformat()}


def _erasure_line(following: dict[str, Any] | None) -> str:
    if following is None:
        return "next erasure: none due (no ended alert of a channel with a retention)\n"
    return (
        f"next erasure: {following['alert_id']} ({following['channel']})"
        f" due {following['due_at']}\n"
    )


def _progress(name: str) -> Any:
    last = [0.0]

    def report(applied: int, behind: int) -> None:
        if time.monotonic() - last[0] >= 1.0:
            last[0] = time.monotonic()
            log.info("rebuild.progress", projection=name, applied=applied, behind=behind)

    return report


def run(args: argparse.Namespace) -> int:
    with reading_hub(settings_from(args), configure_logs=True) as hub:
        if args.action == "status":
            rows = _status(hub)
            upcoming = hub.eraser.candidates()
            following = _next_erasure(upcoming[0]) if upcoming else None
            if args.json:
                status = {"projections": rows, "next_erasure": following}
                sys.stdout.write(json.dumps(status, indent=2) + "\n")
            else:
                for row in rows:
                    sys.stdout.write(
                        f"{row['projection']:<12} lag {row['lag']:<8} dead letters "
                        f"{row['deadletters']:<4} at {row['checkpoint']}\n"
                    )
                sys.stdout.write(_erasure_line(following))
            return 0
        live = _live(hub)
        names = sorted(live) if args.all else args.names
        unknown = sorted(set(names) - set(live))
        if not names or unknown:
            log.error("rebuild.unknown", unknown=unknown, known=sorted(live))
            return 2
        for name in names:
            report = rebuild(hub.views, hub.stream, live[name], progress=_progress(name))
            log.info(
                "rebuild.done",
                projection=name,
                applied=report.applied,
                seconds=round(report.seconds, 2),
                checkpoint=report.checkpoint,
            )
    return 0


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "show projection positions and lag, or rebuild views beside the live ones"
    cmd = sub.add_parser("projections", parents=[common], help=text, description=text)
    cmd.add_argument("action", choices=["status", "rebuild"])
    cmd.add_argument("names", nargs="*", help="projections to rebuild (e.g. alerts)")
    cmd.add_argument("--all", action="store_true", help="rebuild every projection")
    cmd.add_argument("--json", action="store_true", help="status as JSON")
    cmd.set_defaults(handler=run)
