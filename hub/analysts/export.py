"""Exports of a window: JSON lines, CSV or an Avro Object Container File, written as it streams.

Every format starts from the envelope record of `alerthub.v1.AlertEvent` (`AvroCodec.to_record`),
the published contract of the stream, so an export says exactly what a Kafka consumer would read.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Literal
from uuid import UUID

import fastavro

from hub.analysts.table import CSV_COLUMNS, table_rows
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
    *,
    bom: bool = False,
) -> ExportReport:
    """Write the events of `records` to `out` as `fmt`, one at a time; never closes `out`.

    jsonl: one envelope record (`alerthub.v1.AlertEvent`) per line, times ISO 8601, the payload a
    plain object (its branch is `event_type`). csv: `CSV_COLUMNS`, one row per event and info
    block (`hub.analysts.table`), UTF-8, with a byte-order mark first if `bom` (spreadsheet
    programs then read it as UTF-8). avro: an Object Container File (deflate) whose header
    holds the envelope schema, so `fastavro.reader` alone reads it back.
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

    if bom and fmt == "csv":
        out.write(codecs.BOM_UTF8)
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


def _write_jsonl(rows: Iterator[dict[str, Any]], out: BinaryIO, codec: AvroCodec) -> None:
    for row in rows:
        out.write(to_json(row).encode() + b"\n")


def _write_csv(rows: Iterator[dict[str, Any]], out: BinaryIO, codec: AvroCodec) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        writer = csv.DictWriter(text, CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerows(table_rows(document(row)))
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
