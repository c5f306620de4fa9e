"""Exports of a window: JSON lines, CSV or an Avro Object Container File, written as it streams.

Every format starts from the envelope record of `alerthub.v1.AlertEvent` (`AvroCodec.to_record`),
the published contract of the stream, so an export says exactly what a Kafka consumer would read.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Literal
from uuid import UUID

import fastavro

from hub.analysts.window import ProgressFn, tracked
from hub.streaming.avro import AvroCodec
from projections.stream import StreamRecord

Format = Literal["jsonl", "csv", "avro"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "avro")


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
