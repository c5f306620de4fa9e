"""Where the time goes: cProfile around one benchmark's hot loop, or a py-spy summary.

    python -m bench.profiles relay --events 20000       # relay.step() until lag 0, cProfile
    python -m bench.profiles rebuild --events 20000     # Kafka -> alerts projection, cProfile
    python -m bench.profiles rebuild --mode embedded --events 20000
    python -m bench.profiles collapsed FILE             # py-spy `--format raw` output, summed

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
    parser.add_argument("target", choices=["relay", "rebuild", "collapsed"])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--mode", choices=["kafka", "embedded"], default="kafka")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="collapsed: only stacks containing this")
    args = parser.parse_args()
    if args.target == "collapsed":
        sys.stdout.write(collapsed(args.file, args.top, args.match))
        return 0
    ctx = Context(SIZES["quick"])
    try:
        if args.target == "relay":
            sys.stdout.write(relay(ctx, args.events, args.top))
        else:
            sys.stdout.write(rebuild(ctx, args.events, args.mode, args.top))
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
