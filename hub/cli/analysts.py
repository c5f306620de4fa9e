"""`alerthub export | replay | shadow`: the analysts' commands over the canonical stream.

They read the stream the hub is configured with: the event store under `--data-dir` (embedded),
or the canonical Kafka topic when `ALERTHUB_KAFKA_BOOTSTRAP` is set. The hub is built by the one
bootstrap with projector, relay and ingress off, so these commands never write to the live store,
views or topic. Times are ISO 8601 with a UTC offset (`2025-06-02T14:00:00+02:00`, `...Z`); a
window is `[--from, --to)` by the time the hub recorded each event. Results go to `--output` (or
stdout), progress and logs to stderr.

`shadow` is its own subcommand rather than `replay --shadow`: it builds no database and prints a
comparison, so its options and output differ from a replay's.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import structlog
from tqdm import tqdm

from adapters.base import Channel
from domain.errors import ChannelLoadError, ChannelNotFoundError
from hub.analysts import (
    FORMATS,
    Progress,
    ProgressFn,
    export,
    reading_hub,
    replay,
    sent_between,
    shadow,
    window,
    window_size,
)
from hub.cli.common import settings_from
from hub.streaming.avro import AvroCodec

log = structlog.get_logger("hub.cli")
Handler = Callable[[argparse.Namespace], int]
EPILOG = (
    "Reads the event store under --data-dir, or the Kafka topic when ALERTHUB_KAFKA_BOOTSTRAP is"
    " set; writes nothing to either. TIME is ISO 8601 with a UTC offset, e.g."
    " 2025-06-02T14:00:00+02:00; the window is [--from, --to) by the time the hub recorded each"
    " event (export --time sent: when its message was sent). A progress bar and logs go to"
    " stderr."
)


def aware_time(text: str) -> datetime:
    """An ISO 8601 time with a UTC offset; argparse names the argument when this refuses."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2025-06-02T14:00:00+02:00)"
        ) from None
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (add +02:00, Z, ...)")
    return moment


@contextmanager
def _progress(action: str, total: int | None) -> Iterator[ProgressFn]:
    """A progress bar on stderr with the total to expect (logged too, for log collectors)."""
    with tqdm(total=total, desc=action, unit="event", file=sys.stderr, leave=True) as bar:

        def report(progress: Progress) -> None:
            bar.update(progress.done - bar.n)
            at = progress.at.isoformat() if progress.at else None
            log.debug(f"{action}.progress", events=progress.done, up_to=at, total=total)

        yield report


def _window_ok(args: argparse.Namespace) -> bool:
    if args.start and args.end and args.end <= args.start:
        sys.stderr.write(f"alerthub {args.command}: error: --to must be later than --from\n")
        return False
    return True


@contextmanager
def _output(target: str) -> Iterator[BinaryIO]:
    """stdout for `-`; else FILE, written as FILE.partial and renamed only when complete."""
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(target)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def export_command(args: argparse.Namespace) -> int:
    """The events recorded in a window, as JSON lines, CSV or an Avro container file."""
    if not _window_ok(args):
        return 2
    with reading_hub(settings_from(args), configure_logs=True) as hub:
        if args.channel and args.channel not in hub.channels:
            log.warning(
                "export.unknown_channel", channel=args.channel, installed=list(hub.channels)
            )
        if args.time == "sent":
            records = sent_between(window(hub.stream, channel=args.channel), args.start, args.end)
            total = window_size(hub.stream)
        else:
            records = window(hub.stream, args.start, args.end, channel=args.channel)
            total = window_size(hub.stream, args.start)
        with _output(args.output) as out, _progress("export", total) as progress:
            report = export(records, args.format, out, AvroCodec(), progress, bom=args.bom)
    first, last = (m.isoformat() if m else None for m in (report.first, report.last))
    log.info("export.done", events=report.count, first=first, last=last, output=args.output)
    return 0


def replay_command(args: argparse.Namespace) -> int:
    """Projections rebuilt from a window into a new views database under --output."""
    if not _window_ok(args):
        return 2
    with reading_hub(settings_from(args), configure_logs=True) as hub:
        records = window(hub.stream, args.start, args.end)
        names = args.projection or ["alerts"]
        with _progress("replay", window_size(hub.stream, args.start)) as progress:
            report = replay(  # with this hub's default lifetimes, as its live views have them
                records,
                names,
                args.output,
                as_of=args.end,
                progress=progress,
                lifetimes=hub.lifetimes,
            )
    summary = dataclasses.asdict(report) | {"path": str(report.path)}
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0


def shadow_command(args: argparse.Namespace) -> int:
    """A channel plugin over history, compared with the installed channels; JSON on stdout."""
    if not _window_ok(args):
        return 2
    with reading_hub(settings_from(args), configure_logs=True) as hub:
        channel = _channel(args.channel, hub.channels)
        records = window(hub.stream, args.start, args.end)
        with _progress("shadow", window_size(hub.stream, args.start)) as progress:
            report = shadow(records, channel, hub.channels, progress=progress)
    summary: dict[str, Any] = report.summary()
    summary["only_new_ids"] = [str(a) for a in report.only_new]
    summary["not_new_ids"] = [str(a) for a in report.not_new]
    if args.alerts:
        summary["per_alert"] = [
            {"alert_id": str(a.alert_id), "public": a.public, "new": a.by_new, "by": sorted(a.by)}
            for a in report.alerts.values()
        ]
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0


def _channel(spec: str, installed: Mapping[str, Channel]) -> Channel:
    """An installed channel by name, or a plugin not yet installed as `module:attribute`."""
    if ":" not in spec:
        if spec not in installed:
            known = ", ".join(installed)
            raise ChannelNotFoundError(f"no channel named {spec!r} is installed; known: {known}")
        return installed[spec]
    module, _, attribute = spec.partition(":")
    try:
        loaded = getattr(importlib.import_module(module), attribute)
        channel = loaded if isinstance(loaded, Channel) else loaded()
    except Exception as exc:
        raise ChannelLoadError(f"channel {spec} failed to load: {exc!r}") from exc
    if not isinstance(channel, Channel):
        raise ChannelLoadError(f"{spec} does not provide name, media_types, parse, selects, render")
    return channel


def _window_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--from", dest="start", type=aware_time, metavar="TIME", help="window start, inclusive"
    )
    cmd.add_argument(
        "--to", dest="end", type=aware_time, metavar="TIME", help="window end, exclusive"
    )


def _command(
    sub: Any, common: argparse.ArgumentParser, name: str, handler: Handler, text: str
) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser(
        name, parents=[common], help=text, description=f"{text}.", epilog=EPILOG
    )
    cmd.set_defaults(handler=handler)
    _window_arguments(cmd)
    return cmd


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register export, replay and shadow on the `alerthub` subparsers (`hub.cli._parser`)."""
    cmd = _command(sub, common, "export", export_command, "export the events of a time window")
    cmd.add_argument("--channel", help="only events of messages that came in through CHANNEL")
    cmd.add_argument("--format", choices=FORMATS, default="jsonl", help="default jsonl")
    cmd.add_argument(
        "--time",
        choices=("recorded", "sent"),
        default="recorded",
        help="what --from/--to bound: when the hub recorded each event (default), or when its"
        " message was sent (CAP sent; reads the whole stream)",
    )
    cmd.add_argument(
        "--bom", action="store_true", help="csv: start with a UTF-8 byte-order mark (spreadsheets)"
    )
    cmd.add_argument("--output", required=True, metavar="FILE", help="FILE, or - for stdout")
    cmd = _command(sub, common, "replay", replay_command, "rebuild views into a new database")
    cmd.add_argument(
        "--projection",
        action="append",
        metavar="NAME",
        help="repeatable; default alerts; plugins: entry-point group alerthub.projections",
    )
    cmd.add_argument("--output", required=True, type=Path, metavar="DIR", help="new views folder")
    cmd = _command(sub, common, "shadow", shadow_command, "try a channel plugin on history")
    cmd.add_argument("channel", help="an installed channel, or module:attribute of a plugin")
    cmd.add_argument("--alerts", action="store_true", help="also list every alert's comparison")
