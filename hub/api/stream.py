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
Every connection reads its own `EventStream` in a worker thread, so a slow client or a blocking
Kafka poll never holds the event loop; the stream is closed when the client goes away.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncGenerator, Mapping
from functools import cache
from typing import Annotated, Any

import anyio
import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
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
from projections.stream import EventStream, StreamRecord, reached

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1")

KEEP_ALIVE_SECONDS = 15.0
IDLE_SECONDS = 0.25
PAGE_SIZE = 200
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


def frame(record: StreamRecord, checkpoint: Mapping[int, int], codec: AvroCodec) -> str:
    data = to_json(codec.to_record(record.event))
    event_type = type(record.event).__name__
    return f"id: {format_checkpoint(checkpoint)}\nevent: {event_type}\ndata: {data}\n\n"


def _readable(record: StreamRecord, reader: Publisher | None) -> bool:
    event: Any = record.event
    return may_read(reader, [event.channel], event.alert_message.is_public)


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


class EventStreamResponse(StreamingResponse):
    """An SSE response that closes its body and its stream however it ends.

    Why not a plain `StreamingResponse`: when a client goes away while the body generator waits
    at a `yield`, Starlette cancels the send and leaves the generator suspended; its `finally`
    would run only when garbage-collected, holding a Kafka consumer until then.
    """

    def __init__(self, body: AsyncGenerator[str, None], stream: EventStream) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(body, media_type="text/event-stream", headers=headers)
        self._body, self._stream = body, stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._body.aclose()
                await run_in_threadpool(self._stream.close)


@router.get(
    "/stream",
    status_code=200,  # FastAPI reads it from the response's __init__ otherwise
    tags=["stream"],
    response_class=EventStreamResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        400: {"content": {PROBLEM_JSON: {}}, "description": "malformed Last-Event-ID"},
    },
)
async def stream_events(
    request: Request,
    hub: HubDep,
    reader: ReaderDep,
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
    stream = await run_in_threadpool(open_stream, hub)
    try:
        head = await run_in_threadpool(stream.head)
    except BaseException:
        await run_in_threadpool(stream.close)
        raise
    at = dict(head if start is None else start)
    body = _events(request, stream, at, reader, until=None if follow else head)
    return EventStreamResponse(body, stream)


async def _events(
    request: Request,
    stream: EventStream,
    at: dict[int, int],
    reader: Publisher | None,
    *,
    until: Mapping[int, int] | None,
) -> AsyncGenerator[str, None]:
    """Frames from `at` on, keep-alive comments while idle; ends at `until` (if given) or when
    the client has gone. Closing the stream is the response's job (`EventStreamResponse`)."""
    codec, sent, empties, last_write = _codec(), 0, 0, time.monotonic()
    try:
        yield f"retry: 2000\n: from {format_checkpoint(at)}\n\n"
        while not await request.is_disconnected():
            page = await run_in_threadpool(stream.read, at, PAGE_SIZE)
            for record in page:
                at[record.partition] = record.position
                if _readable(record, reader):
                    yield frame(record, at, codec)
                    sent += 1
            empties = 0 if page else empties + 1
            if page:
                last_write = time.monotonic()
                continue
            if until is not None and (reached(at, until) or empties >= 3):
                return  # caught up (a broker's first fetch may come back empty: 3 tries)
            if time.monotonic() - last_write >= KEEP_ALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_write = time.monotonic()
            await anyio.sleep(IDLE_SECONDS)
    finally:
        log.info("stream.closed", events=sent, at=format_checkpoint(at))
