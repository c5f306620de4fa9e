"""Analysts' tools over the canonical stream: a time window of it, exports, replays, shadows.

Everything reads an `EventStream` (the store's log or the Kafka topic, the same code) and streams:
no function holds a window in memory, only what its result needs (per-alert ids and states).

- `window(stream, start, end)`: the events *recorded* in `[start, end)`, by the event's own
  timestamp (`recorded_at`), not by the partner's `sent`: that is the order the hub knew things in.
- `export(records, fmt, out, codec)`: the window as JSON lines, CSV or an Avro container file.
- `replay(...)` and `shadow(...)` live in `hub.analysts_replay` and are re-exported here.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, Literal
from uuid import UUID

import fastavro

from domain.errors import ConfigurationError
from hub.avro import AvroCodec
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings
from projections.stream import EventStream, StreamRecord

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Format = Literal["jsonl", "csv", "avro"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "avro")
READ_ONLY = {"run_projector": False, "run_relay": False, "kafka_ingress": False}


@dataclass(frozen=True)
class Progress:
    """How far long work has come: events handled, the last one's recorded time, and if done."""

    done: int
    at: datetime | None
    finished: bool = False


ProgressFn = Callable[[Progress], None]


def tracked(
    records: Iterable[StreamRecord],
    progress: ProgressFn | None,
    *,
    every: int = 10_000,
    seconds: float = 1.0,
) -> Iterator[StreamRecord]:
    """`records`, reporting progress every `every` events or `seconds`, and once at the end."""
    if progress is None:
        yield from records
        return
    done, at, told = 0, None, time.monotonic()
    for record in records:
        yield record
        done, at = done + 1, record.event.timestamp
        if done % every == 0 or time.monotonic() - told >= seconds:
            progress(Progress(done, at))
            told = time.monotonic()
    progress(Progress(done, at, finished=True))


def window(
    stream: EventStream,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    channel: str | None = None,
    page_size: int = 500,
    patience: float = 1.0,
) -> Iterator[StreamRecord]:
    """The events recorded in `[start, end)` (None: open-ended), in stream order.

    Seeks with `checkpoint_before(start)`. A partition is done when it yields an event recorded
    at or after `end`, or reaches the head it had when the window was opened: events recorded
    meanwhile are not waited for, so the window never blocks forever. Empty reads count as caught
    up after `patience` seconds (a broker's first fetch may come back empty).

    An event already yielded (same alert, same or lower version: the relay is at-least-once) is
    skipped, so a window holds each event once. `channel` keeps the events of messages that came
    in through that channel (the event's own `channel`, the envelope's `origin.channel`); whole
    alerts that a channel touched are a question for the alerts view, not for a window.
    """
    _require_aware(start=start, end=end)
    head = stream.head()
    at = dict(stream.checkpoint_before(start or EPOCH))
    open_ = {p for p, last in head.items() if at.get(p, -1) < last}
    seen: dict[UUID, int] = {}
    idle_since: float | None = None
    while open_:
        page = stream.read(at, page_size)
        if not page:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= patience:
                return
            time.sleep(0.05)
            continue
        idle_since = None
        for record in page:
            if _step(record, at, open_, head, end) and _fresh(record, seen, channel):
                yield record


def _step(
    record: StreamRecord,
    at: dict[int, int],
    open_: set[int],
    head: dict[int, int],
    end: datetime | None,
) -> bool:
    """Advance the reader past `record`; whether it belongs to the window."""
    p = record.partition
    at[p] = max(at.get(p, -1), record.position)
    if p not in open_:
        return False  # a finished partition (or one born after the window opened)
    if end is not None and record.event.timestamp >= end:
        open_.discard(p)
        at[p] = max(at[p], head[p])  # read only what is new there, not its whole tail
        return False
    if at[p] >= head[p]:
        open_.discard(p)
    return True


def _fresh(record: StreamRecord, seen: dict[UUID, int], channel: str | None) -> bool:
    event = record.event
    alert, version = event.originator_id, event.originator_version
    if version <= seen.get(alert, 0):
        return False
    seen[alert] = version
    return channel is None or getattr(event, "channel", None) == channel


def _require_aware(**moments: datetime | None) -> None:
    for name, moment in moments.items():
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} {moment.isoformat()} has no UTC offset; times are absolute")


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: how many events, and the recorded times of the first and last."""

    count: int
    first: datetime | None
    last: datetime | None


def export(
    records: Iterable[StreamRecord],
    fmt: Format,
    out: BinaryIO,
    codec: AvroCodec,
    progress: ProgressFn | None = None,
) -> ExportReport:
    """Write the events of `records` to `out` as `fmt`, one at a time; never closes `out`.

    jsonl: one envelope record (`alerthub.v1.AlertEvent`) per line, times ISO 8601, the payload a
    plain object (its branch is `event_type`). csv: one row per event, `CSV_COLUMNS`, the first
    info block's fields. avro: an Object Container File (deflate) whose header holds the envelope
    schema, so `fastavro.reader` alone reads it back.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}; expected one of {', '.join(FORMATS)}")
    count, first, last = 0, None, None

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal count, first, last
        for record in tracked(records, progress):
            count, last = count + 1, record.event.timestamp
            first = first or last
            yield codec.to_record(record.event)

    _WRITERS[fmt](rows(), out, codec)
    return ExportReport(count, first, last)


def document(record: dict[str, Any]) -> dict[str, Any]:
    """An envelope record as plain JSON data (payload unwrapped, times ISO 8601)."""
    data: dict[str, Any] = json.loads(to_json(record))
    return data


def to_json(record: dict[str, Any]) -> str:
    """One line of JSON for an envelope record (JSONL exports, server-sent events)."""
    payload = record["payload"]
    body = payload[1] if isinstance(payload, tuple) else payload
    return json.dumps(record | {"payload": body}, default=_json_default, ensure_ascii=False)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


CSV_COLUMNS = (
    "event_id", "alert_id", "version", "event_type", "recorded_at", "occurred_at", "channel",
    "sender", "identifier", "sent", "status", "msg_type", "scope", "references", "incidents",
    "thread", "outcome", "reason", "info_count", "language", "event", "urgency", "severity",
    "certainty", "headline", "expires", "areas", "geocodes",
)  # fmt: skip


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: the envelope, the message head and the first info block, lists joined."""
    body = document(record)
    payload, message = body["payload"], body["payload"]["message"]
    infos = message.get("info") or []
    info = infos[0] if infos else {}
    areas = info.get("areas") or []
    return {
        **{k: body[k] for k in ("event_id", "alert_id", "version", "event_type")},
        **{k: body[k] for k in ("recorded_at", "occurred_at")},
        "channel": payload["channel"],
        **{k: message.get(k) for k in ("sender", "identifier", "sent", "status", "msg_type")},
        "scope": message.get("scope"),
        "references": " ".join(f"{r['sender']}|{r['identifier']}" for r in message["references"]),
        "incidents": " ".join(message.get("incidents") or []),
        **{k: payload.get(k) for k in ("thread", "outcome", "reason")},
        "info_count": len(infos),
        **{k: info.get(k) for k in ("language", "event", "urgency", "severity", "certainty")},
        **{k: info.get(k) for k in ("headline", "expires")},
        "areas": "; ".join(a["description"] for a in areas),
        "geocodes": " ".join(
            f"{g['name']}={g['value']}" for a in areas for g in a.get("geocodes") or []
        ),
    }


def _write_jsonl(rows: Iterator[dict[str, Any]], out: BinaryIO, codec: AvroCodec) -> None:
    for row in rows:
        out.write(to_json(row).encode() + b"\n")


def _write_csv(rows: Iterator[dict[str, Any]], out: BinaryIO, codec: AvroCodec) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        writer = csv.DictWriter(text, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(flat(row) for row in rows)
    finally:
        text.flush()
        text.detach()  # the caller owns `out`


def _write_avro(rows: Iterator[dict[str, Any]], out: BinaryIO, codec: AvroCodec) -> None:
    fastavro.writer(out, codec.schema, rows, codec="deflate")


_WRITERS: dict[str, Callable[[Iterator[dict[str, Any]], BinaryIO, AvroCodec], None]] = {
    "jsonl": _write_jsonl,
    "csv": _write_csv,
    "avro": _write_avro,
}


@contextmanager
def reading_hub(settings: Settings, *, configure_logs: bool = False) -> Iterator[Hub]:
    """A hub for reading history: the one bootstrap, with projector, relay and ingress off.

    In embedded mode the event store must already exist: reading a history that is not there is
    a mistake (a wrong `--data-dir`), not an empty result.
    """
    if settings.kafka_bootstrap is None and not settings.events_db.exists():
        raise ConfigurationError(f"no event store at {settings.events_db}; check --data-dir")
    hub = bootstrap(settings.model_copy(update=READ_ONLY), configure_logs=configure_logs)
    try:
        yield hub
    finally:
        hub.close()
