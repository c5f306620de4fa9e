"""One replay in a process of its own, so its peak RSS is the replay's alone.

`python -m bench.replay_child MODE ...` writes one JSON line: events, seconds, complete,
maxrss_kib. Modes: `embedded` (the store's notification log -> alerts projection), `kafka`
(the canonical topic -> alerts projection, through the hub's KafkaStream), `bare` (a plain
KafkaConsumer + fastavro decode of the same topic: the library ceiling), `bare-embedded` (the
store's notification log read in pages and decoded by its mapper, nothing applied: the ceiling
of an embedded rebuild). `--index` adds the
alert_id indexes the views lack (the proposed fix), and `--budget` cuts a slow replay short.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from pathlib import Path

from fastavro import schemaless_reader
from fastavro.schema import load_schema
from kafka import KafkaConsumer, TopicPartition

from hub.storage.store import open_sqlite_store
from hub.streaming.avro import ENVELOPE, HEADER_SIZE, AvroCodec, schemas_dir
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.follower import Follower
from hub.streaming.kafka import KafkaStream
from projections.alerts import AlertsProjection
from projections.database import ViewDatabase
from projections.stream import EventStream

AID_INDEXES = (
    "CREATE INDEX IF NOT EXISTS bench_channels_by_alert ON alert_channels (alert_id)",
    "CREATE INDEX IF NOT EXISTS bench_geocodes_by_alert ON alert_geocodes (alert_id)",
)
DROP_AID_INDEXES = (
    "DROP INDEX IF EXISTS bench_channels_by_alert",
    "DROP INDEX IF EXISTS bench_geocodes_by_alert",
)


def project(
    stream: EventStream, views: Path, expected: int, budget: float, index: bool
) -> dict[str, object]:
    db = ViewDatabase(views)
    follower = Follower(stream, db, [AlertsProjection()])
    if index:
        with db.transaction() as conn:
            for statement in AID_INDEXES:
                conn.execute(statement)
    done, start = 0, time.perf_counter()
    while done < expected and time.perf_counter() - start < budget:
        read = follower.step()
        done += read
        if not read and follower.lag()["alerts"] == 0:
            break
    seconds = time.perf_counter() - start
    stream.close()
    db.close()
    return {"events": done, "seconds": seconds, "complete": done >= expected}


def bare(bootstrap: str, topic: str, expected: int) -> dict[str, object]:
    schema = load_schema(str(schemas_dir() / f"{ENVELOPE}.avsc"))
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    done, start = 0, time.perf_counter()
    while done < expected:
        for records in consumer.poll(timeout_ms=500, max_records=500).values():
            for record in records:
                schemaless_reader(io.BytesIO(record.value[HEADER_SIZE:]), schema, None)
            done += len(records)
    seconds = time.perf_counter() - start
    consumer.close()
    return {"events": done, "seconds": seconds, "complete": True}


def bare_embedded(events_db: Path, expected: int) -> dict[str, object]:
    """Pages of 500 notifications read from the store and decoded to events, as a rebuild reads."""
    store = open_sqlite_store(events_db)
    select, decode = store.recorder.select_notifications, store.mapper.to_domain_event
    done, position, start = 0, 0, time.perf_counter()
    while done < expected:
        page = select(
            start=position, limit=500, topics=store.alert_topics, inclusive_of_start=False
        )
        if not page:
            break
        for notification in page:
            decode(notification)
        done, position = done + len(page), page[-1].id
    seconds = time.perf_counter() - start
    store.close()
    return {"events": done, "seconds": seconds, "complete": done >= expected}


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB.

    Not `ru_maxrss`: on Linux it survives fork+exec, so a child started by a parent that holds
    a big heap reports the parent's high-water mark (seen here: a 2k-event replay "peaking" at
    the 234 MiB the benchmark process had reached). VmHWM belongs to the exec'd address space.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["embedded", "kafka", "bare", "bare-embedded"])
    parser.add_argument("--events-db", type=Path)
    parser.add_argument("--views-db", type=Path)
    parser.add_argument("--bootstrap")
    parser.add_argument("--topic")
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--budget", type=float, default=float("inf"))
    parser.add_argument("--index", action="store_true")
    args = parser.parse_args()
    if args.mode == "bare":
        outcome = bare(args.bootstrap, args.topic, args.expected)
    elif args.mode == "bare-embedded":
        outcome = bare_embedded(args.events_db, args.expected)
    else:
        stream: EventStream
        if args.mode == "embedded":
            stream = EmbeddedStream(open_sqlite_store(args.events_db))
        else:
            stream = KafkaStream(args.bootstrap, args.topic, AvroCodec())
        outcome = project(stream, args.views_db, args.expected, args.budget, args.index)
    outcome["maxrss_kib"] = peak_rss_kib()
    outcome["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(json.dumps(outcome) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
