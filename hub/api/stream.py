"""`GET /v1/stream`: the canonical stream as server-sent events, resumable with Last-Event-ID.

Each event is one recorded alert event: `event:` its type, `data:` its envelope record
(`alerthub.v1.AlertEvent`) as one line of JSON, the same document as a JSON-lines export, and
`id:` the reader's checkpoint *after* it, written `partition:position,...` (for example `0:42`
embedded, `0:17,1:9,2:30` on Kafka). The id is all a client needs to resume: the browser's
EventSource sends it back as `Last-Event-ID` and gets exactly the events after it.

Where a connection starts: `Last-Event-ID` (or `?last_event_id=`, for clients that cannot set
headers) `0` means the beginning; a checkpoint means just after it; none means *now*, a live tail
from the head of the stream. A malformed id is a 400 problem, never a silent restart.
`?follow=false` ends the response once caught up (scripts, curl); by default it never ends.

On Kafka the stream is at-least-once: deduplicate on `event_id` (or alert_id + version).
The public gets the events of Actual, Public messages; a partner also those of its channels.

What it costs is bounded, whatever the clients do. Live subscribers share one reader per process
(`LiveTail`); a client that replays history, or falls behind the tail's ring, reads pages of
`PAGE_SIZE` with a reader of its own, one page at a time and only as fast as it takes them
(a send waits while the client's socket is full, so a slow client holds one page, not its
history). At most `sse_max_clients` streams are open at once; one more gets 503 with
Retry-After. Responses are `sse-starlette`'s: keep-alive pings, a send timeout that drops a
client which takes nothing for `sse_send_timeout` seconds, and every stream ended on shutdown.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Mapping
from functools import cache
from typing import Annotated, Any

import anyio
import structlog
from anyio import to_thread
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from domain.rights import Publisher, may_read
from hub.analysts import to_json
from hub.api.auth import ReaderDep
from hub.api.deps import HubDep
from hub.api.problems import PROBLEM_JSON, problem
from hub.bootstrap import Hub
from hub.privacy.sealing import OpeningCodec
from hub.streaming.avro import AvroCodec
from hub.streaming.embedded import EmbeddedStream
from hub.streaming.kafka import KafkaStream
from hub.streaming.tail import Frame, LiveTail
from projections.stream import EventStream, StreamRecord, reached

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1")

IDLE_SECONDS = 0.25
PAGE_SIZE = 100
READ_THREADS = 4
RETRY_AFTER_SECONDS = 10
_CHECKPOINT = re.compile(r"\d{1,9}:\d{1,18}(,\d{1,9}:\d{1,18})*")


class BadCheckpointError(ValueError):
    """A Last-Event-ID that is neither `0` nor `partition:position,...`."""


def parse_checkpoint(text: str) -> dict[int, int]:
    """The checkpoint an SSE id names; `0` is the beginning (the empty checkpoint)."""
    text = text.strip()
    if text == "0":
        return {}
    if not _CHECKPOINT.fullmatch(text):
        raise BadCheckpointError(
            f"Last-Event-ID {text[:80]!r} is not 0 or partition:position[,partition:position...]"
        )
    pairs = [item.split(":") for item in text.split(",")]
    checkpoint = {int(partition): int(position) for partition, position in pairs}
    if len(checkpoint) != len(pairs):
        raise BadCheckpointError(f"Last-Event-ID {text[:80]!r} names a partition twice")
    return checkpoint


def format_checkpoint(checkpoint: Mapping[int, int]) -> str:
    """An SSE id; partitions at no position (-1: nothing read) are left out, meaning the start."""
    return ",".join(f"{p}:{pos}" for p, pos in sorted(checkpoint.items()) if pos >= 0) or "0"


def sse(frame: Frame, checkpoint: Mapping[int, int]) -> bytes:
    data = f"id: {format_checkpoint(checkpoint)}\nevent: {frame.event_type}\ndata: {frame.data}"
    return f"{data}\n\n".encode()


def render(record: StreamRecord) -> Frame:
    """One record's frame: its envelope as one line of JSON, and who may read it."""
    event: Any = record.event
    data = to_json(_codec().to_record(event))
    return Frame(type(event).__name__, data, event.channel, event.alert_message.is_public)


def readable(frame: Frame, viewer: Publisher | None) -> bool:
    return may_read(viewer, [frame.channel], frame.public)


@cache
def _codec() -> AvroCodec:
    return AvroCodec()


def open_stream(hub: Hub) -> EventStream:
    """A stream of the connection's own: its reader position is never shared with another."""
    bootstrap = hub.settings.kafka_bootstrap
    if bootstrap is None:
        return EmbeddedStream(hub.store)
    opening = OpeningCodec(_codec(), hub.privacy.sealer)  # the topic holds personal data sealed
    return KafkaStream(bootstrap, hub.settings.kafka_topic, opening)


class Subscribers:
    """The process's open streams: the cap on them, and the one shared tail they follow."""

    def __init__(self, hub: Hub) -> None:
        self.hub, self.open = hub, 0
        self.tail = LiveTail(open_stream(hub), render, page_size=PAGE_SIZE)
        self._starting = anyio.Lock()
        self.reads = anyio.CapacityLimiter(READ_THREADS)

    def admit(self) -> bool:
        """Count one more stream, unless the cap is reached (event loop only: no lock needed)."""
        if self.open >= self.hub.settings.sse_max_clients:
            return False
        self.open += 1
        return True

    async def live(self) -> tuple[dict[int, int], int]:
        """Where a live subscriber starts on the tail; the tail starts with its first one."""
        async with self._starting:
            if not self.tail.running:
                await run_in_threadpool(self.tail.prime)
                self.tail.start()
        return self.tail.now()

    def leave(self) -> None:
        self.open -= 1

    def close(self) -> None:
        self.tail.stop()
        self.tail.stream.close()


class Reader:
    """A client's own reader for the pages it cannot take from the tail, opened when needed.

    Its reads share a few threads of their own (`READ_THREADS`), never the server's thread
    pool: however many clients replay at once, the other routes still find a free thread.
    """

    def __init__(self, hub: Hub, limiter: anyio.CapacityLimiter) -> None:
        self.hub, self.limiter = hub, limiter
        self.stream: EventStream | None = None

    async def _stream(self) -> EventStream:
        if self.stream is None:
            self.stream = await to_thread.run_sync(open_stream, self.hub, limiter=self.limiter)
        return self.stream

    async def read(self, at: Mapping[int, int]) -> list[tuple[StreamRecord, Frame]]:
        """A page past `at`, each record with its frame rendered (in the thread, not the loop)."""
        stream = await self._stream()

        def page() -> list[tuple[StreamRecord, Frame]]:
            return [(record, render(record)) for record in stream.read(at, PAGE_SIZE)]

        return await to_thread.run_sync(page, limiter=self.limiter)

    async def head(self) -> dict[int, int]:
        stream = await self._stream()
        return await to_thread.run_sync(stream.head, limiter=self.limiter)

    async def close(self) -> None:
        if self.stream is not None:
            await run_in_threadpool(self.stream.close)
            self.stream = None


class StreamResponse(EventSourceResponse):
    """An SSE response that closes the client's reader and frees its place however it ends.

    Why the wrapper: when a client goes away while the body waits at a `yield`, the body is
    cancelled and its `finally` may run late; the reader (on Kafka a consumer) and the place
    under the cap must be released at once.
    """

    def __init__(
        self, body: AsyncGenerator[bytes, None], reader: Reader, subscribers: Subscribers
    ) -> None:
        settings = subscribers.hub.settings
        super().__init__(
            body,
            headers={"X-Accel-Buffering": "no"},
            ping=settings.sse_ping_seconds,
            sep="\n",
            send_timeout=settings.sse_send_timeout,
        )
        self._body, self._reader, self._subscribers = body, reader, subscribers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                self._subscribers.leave()
                await self._body.aclose()
                await self._reader.close()


def subscribers_of(request: Request) -> Subscribers:
    subscribers: Subscribers | None = getattr(request.app.state, "subscribers", None)
    if subscribers is None:
        subscribers = request.app.state.subscribers = Subscribers(request.app.state.hub)
    return subscribers


@router.get(
    "/stream",
    status_code=200,  # FastAPI reads it from the response's __init__ otherwise
    tags=["stream"],
    response_class=StreamResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        400: {"content": {PROBLEM_JSON: {}}, "description": "malformed Last-Event-ID"},
        503: {"content": {PROBLEM_JSON: {}}, "description": "too many open streams"},
    },
)
async def stream_events(
    request: Request,
    hub: HubDep,
    viewer: ReaderDep,
    last_event_id: Annotated[str | None, Header(description="0, or an id received")] = None,
    resume: Annotated[str | None, Query(alias="last_event_id")] = None,
    follow: Annotated[bool, Query(description="false: end once caught up")] = True,
) -> Response:
    """Every canonical event as server-sent events; resume with Last-Event-ID (module doc).

    The public gets the events of Actual, Public messages; a partner also those of its channels.
    """
    given = last_event_id if last_event_id is not None else resume
    try:
        start = None if given is None else parse_checkpoint(given)
    except BadCheckpointError as exc:
        return problem(request, 400, "bad-last-event-id", str(exc))
    subscribers = subscribers_of(request)
    if not subscribers.admit():
        detail = f"{hub.settings.sse_max_clients} streams are open, the most this server serves"
        answer = problem(request, 503, "too-many-streams", detail)
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return answer
    reader, seq, until = Reader(hub, subscribers.reads), None, None
    try:
        if follow:
            at, now = await subscribers.live()
            at, seq = (at, now) if start is None else (start, None)
        else:
            until = await reader.head()
            at = dict(until if start is None else start)
    except BaseException:
        subscribers.leave()
        await reader.close()
        raise
    body = _events(request, reader, subscribers.tail, at, seq, viewer, until=until)
    return StreamResponse(body, reader, subscribers)


async def _events(
    request: Request,
    reader: Reader,
    tail: LiveTail,
    at: dict[int, int],
    seq: int | None,
    viewer: Publisher | None,
    *,
    until: Mapping[int, int] | None,
) -> AsyncGenerator[bytes, None]:
    """Frames from `at` on: from the shared tail when it holds what comes next, from pages of
    the client's own reader otherwise; ends at `until` (if given). Closing the reader is the
    response's job (`StreamResponse`)."""
    sent, empties = 0, 0
    try:
        yield f"retry: 2000\n: from {format_checkpoint(at)}\n\n".encode()
        while not await request.is_disconnected():
            news = None if until is not None else tail.entries_after(at, seq)
            if news is not None:
                entries, seq = news
                for entry in entries:
                    at[entry.partition] = entry.position
                    if readable(entry.frame, viewer):
                        yield sse(entry.frame, at)
                        sent += 1
                if not entries:
                    await reader.close()  # following the tail: no reader of its own needed
                    await anyio.sleep(IDLE_SECONDS)
                continue
            seq = None
            page = await reader.read(at)
            for record, frame in page:
                at[record.partition] = record.position
                if readable(frame, viewer):
                    yield sse(frame, at)
                    sent += 1
            empties = 0 if page else empties + 1
            if page:
                continue
            if until is not None and (reached(at, until) or empties >= 3):
                return  # caught up (a broker's first fetch may come back empty: 3 tries)
            await anyio.sleep(IDLE_SECONDS)
    finally:
        log.info("stream.closed", events=sent, at=format_checkpoint(at))
