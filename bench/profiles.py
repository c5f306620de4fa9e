"""Where the time goes: cProfile around one benchmark's hot loop, or a py-spy summary.

    python -m bench.profiles relay --events 20000       # relay.step() until lag 0, cProfile
    python -m bench.profiles rebuild --events 20000     # Kafka -> alerts projection, cProfile
    python -m bench.profiles rebuild --mode embedded --events 20000
    python -m bench.profiles collapsed FILE             # py-spy `--format raw` output, summed
    python -m bench.profiles slices --events 100000 --page 500   # embedded rebuild, per slice

`slices` is how the embedded rebuild's step between 10k and 100k events was found: the same
events cost more wall time the more the views already hold, while their CPU time barely moves
and the bytes written per event climb (every random-keyed index entry dirties its own page).

The HTTP server is multi-threaded (event loop, thread pool, projector), which cProfile does not
follow; profile it from outside with py-spy (not a project dependency; a scratch venv will do):
`py-spy record --gil --subprocesses --format raw -o ingest.txt -- python -m bench --quick
--only ingest`, then `python -m bench.profiles collapsed ingest.txt --match "hub.cli serve"`.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.core import SIZES, Context
from bench.ladder import hub_folder, ladder
from bench.relay import relay_run
from hub.bootstrap import bootstrap
from hub.settings import load_settings
from hub.storage.store import open_sqlite_store
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.follower import Follower
from hub.streaming.kafka import KafkaStream
from projections.alerts import AlertsProjection
from projections.database import ViewDatabase
from projections.stream import EventStream


def report(work: Callable[[], int], top: int) -> str:
    profile = cProfile.Profile()
    profile.enable()
    count = work()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    out.write(f"items: {count}, profiled seconds: {stats.total_tt:.2f}\n")  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def relay(ctx: Context, events: int, top: int) -> str:
    snapshot = ladder(ctx).at(events)
    hub = bootstrap(
        load_settings(
            data_dir=hub_folder(ctx, snapshot, "profile-relay"),
            kafka_bootstrap=ctx.kafka,
            kafka_topic="bench.profile.relay",
            run_relay=False,
            run_projector=False,
            kafka_ingress=False,
            log_level="WARNING",
        ),
        configure_logs=True,
    )
    assert hub.relay is not None
    step = hub.relay.step

    def drain() -> int:
        done = 0
        while sent := step():
            done += sent
        return done

    try:
        return report(drain, top)
    finally:
        hub.close()


def rebuild(ctx: Context, events: int, mode: str, top: int) -> str:
    stream: EventStream
    if mode == "kafka":
        stream = KafkaStream(ctx.kafka, relay_run(ctx, events).topic, AvroCodec())
    else:
        stream = EmbeddedStream(open_sqlite_store(ladder(ctx).at(events).path))
    follower = Follower(
        stream, ViewDatabase(ctx.folder("profile") / "views.sqlite"), [AlertsProjection()]
    )

    def catch_up() -> int:
        done = 0
        while done < events:
            done += follower.step()
        return done

    return report(catch_up, top)


def written_bytes() -> int:
    """Bytes this process has handed to write() so far (Linux: WAL frames and checkpoints)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def slices(store: Path, views: Path, events: int, page: int, every: int = 5000) -> str:
    """An embedded rebuild of the alerts view (commits of `page` events), reported per slice of
    `every` events: wall and CPU events/s, and KiB written per event."""
    follower = Follower(
        EmbeddedStream(open_sqlite_store(store)),
        ViewDatabase(views),
        [AlertsProjection()],
        page_size=page,
    )
    lines = [f"page {page}", "   events  wall/s   cpu/s  KiB written/event"]
    done, mark = 0, 0
    before = (time.perf_counter(), time.process_time(), written_bytes())
    while done < events and (read := follower.step()):
        done += read
        if done - mark >= every or done >= events:
            now = (time.perf_counter(), time.process_time(), written_bytes())
            wall, cpu, wrote = (b - a for a, b in zip(before, now, strict=True))
            count = done - mark
            lines.append(
                f"{done:>9} {count / wall:7.0f} {count / cpu:7.0f} {wrote / count / 1024:8.1f}"
            )
            mark, before = done, now
    return "\n".join(lines) + "\n"


def collapsed(path: Path, top: int, match: str = "") -> str:
    """Self and inclusive sample shares per function from py-spy's raw (collapsed) stacks.

    `match` keeps only stacks containing it, e.g. `hub.cli serve` for the server process of a
    `--subprocesses` recording that also sampled the benchmark's own client.
    """
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        if match not in line:
            continue
        stack, _, count_text = line.rpartition(" ")
        frames = [
            f.split(" (")[0] + " " + f.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1]
            for f in stack.split(";")
            if "(" in f
        ]
        count = int(count_text)
        total += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"samples: {total}", "self %  function"]
    lines += [f"{100 * n / total:6.1f}  {name}" for name, n in own.most_common(top)]
    lines += ["", "incl %  function"]
    lines += [f"{100 * n / total:6.1f}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiles", description=__doc__)
    parser.add_argument("target", choices=["relay", "rebuild", "collapsed", "slices"])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--mode", choices=["kafka", "embedded"], default="kafka")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", type=int, default=500, help="slices: events per commit")
    parser.add_argument("--match", default="", help="collapsed: only stacks containing this")
    args = parser.parse_args()
    if args.target == "collapsed":
        sys.stdout.write(collapsed(args.file, args.top, args.match))
        return 0
    ctx = Context(SIZES["quick"])
    try:
        if args.target == "relay":
            sys.stdout.write(relay(ctx, args.events, args.top))
        elif args.target == "slices":
            store = ladder(ctx).at(args.events).path
            views = ctx.folder("slices") / "views.sqlite"
            sys.stdout.write(slices(store, views, args.events, args.page))
        else:
            sys.stdout.write(rebuild(ctx, args.events, args.mode, args.top))
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
