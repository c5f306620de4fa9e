"""Where an analyst's history comes from: a read-only hub, and a time window of its stream.

A window is the events *recorded* in `[start, end)`, by the event's own timestamp (`recorded_at`),
not by the partner's `sent`: that is the order in which the hub knew things, and the order of the
stream. Long work reports `Progress` through a callback, so a CLI can show it and a test need not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.errors import ConfigurationError
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings
from projections.stream import EventStream, StreamRecord

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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
    cursor = _Cursor(stream.head(), stream.checkpoint_before(start or EPOCH), start, end)
    seen: dict[UUID, int] = {}
    idle_since: float | None = None
    while cursor.open:
        page = stream.read(cursor.at, page_size)
        if not page:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= patience:
                return
            time.sleep(0.05)
            continue
        idle_since = None
        for record in page:
            if cursor.admits(record) and _fresh(record, seen, channel):
                yield record


class _Cursor:
    """Where a window's reader is in each partition, and which partitions may still hold events."""

    def __init__(
        self,
        head: Mapping[int, int],
        at: Mapping[int, int],
        start: datetime | None,
        end: datetime | None,
    ) -> None:
        self.head, self.at, self.start, self.end = dict(head), dict(at), start, end
        self.open = {p for p, last in head.items() if self.at.get(p, -1) < last}

    def admits(self, record: StreamRecord) -> bool:
        """Move past `record`; whether it was recorded inside the window."""
        p, recorded = record.partition, record.event.timestamp
        self.at[p] = max(self.at.get(p, -1), record.position)
        if p not in self.open:
            return False  # a finished partition (or one born after the window opened)
        if self.end is not None and recorded >= self.end:
            self.open.discard(p)
            self.at[p] = max(self.at[p], self.head[p])  # read only what is new there now
            return False
        if self.at[p] >= self.head[p]:
            self.open.discard(p)
        # a time index may be coarser than the events' times (Kafka: milliseconds)
        return self.start is None or recorded >= self.start


def _fresh(record: StreamRecord, seen: dict[UUID, int], channel: str | None) -> bool:
    event = record.event
    alert, version = event.originator_id, event.originator_version
    if version <= seen.get(alert, 0):
        return False
    seen[alert] = version
    return channel is None or getattr(event, "channel", None) == channel


def sent_between(
    records: Iterable[StreamRecord], start: datetime | None, end: datetime | None
) -> Iterator[StreamRecord]:
    """The events whose message was *sent* (CAP `sent`, the partner's clock) in `[start, end)`.

    The stream is ordered by recording, not sending (messages arrive late and out of order), so
    this reads the whole stream it is given and filters; pair it with `window(stream)`.
    """
    _require_aware(start=start, end=end)
    for record in records:
        message = getattr(record.event, "message", None)
        if not isinstance(message, dict) or "sent" not in message:
            continue
        sent = datetime.fromisoformat(str(message["sent"]))
        if (start is None or sent >= start) and (end is None or sent < end):
            yield record


def window_size(stream: EventStream, start: datetime | None = None) -> int:
    """How many events the stream holds from `start` on: the total for a progress bar.

    An upper bound for a window that ends earlier (events after its end are counted too).
    """
    at = stream.checkpoint_before(start or EPOCH)
    return sum(max(0, last - at.get(p, -1)) for p, last in stream.head().items())


def _require_aware(**moments: datetime | None) -> None:
    for name, moment in moments.items():
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} {moment.isoformat()} has no UTC offset; times are absolute")


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
