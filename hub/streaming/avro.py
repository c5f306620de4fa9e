"""Avro codec of the canonical stream: domain events ⇄ `alerthub.v1.AlertEvent` record values.

A Kafka value is Avro single-object encoding: `C3 01`, the 8-byte CRC-64-AVRO fingerprint of the
writer schema's parsing canonical form (little-endian, as the spec lays it out), then the body.
Why: every value names its own writer schema, so a consumer needs no registry, only the schemas
folder that ships with the code, which keeps every published version (`schemas/history/`). A value
is decoded by resolving its writer (found by fingerprint among every kept version) to the current
schema, so records written before an evolution stay readable after it.

Nothing is read at import time: `AvroCodec(directory)` loads the folder when the hub is composed.

    AlertHubError
    └── SchemaError                     the Avro contract cannot be applied (bad schema, bad fit)
        ├── UnknownSchemaError              a fingerprint that no kept schema version has
        └── MalformedRecordError            bytes that are not a record of the schema they name
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEvent, DomainEventProtocol
from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError
from fastavro.schema import (
    SchemaParseException,
    fingerprint,
    load_schema,
    to_parsing_canonical_form,
)

from domain.errors import AlertHubError
from hub.streaming import avro_records
from hub.streaming.avro_binary import BinaryWriters

MAGIC = b"\xc3\x01"
"""The single-object encoding marker (Avro spec, "Single-object encoding")."""
HEADER_SIZE = len(MAGIC) + 8
CONTENT_TYPE = b"application/vnd.alerthub.event+avro"
ENVELOPE = "alerthub.v1.AlertEvent"

Schema = dict[str, Any]
Headers = list[tuple[str, bytes]]
MISFITS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, struct.error)
"""What the compiled writers raise on a value that does not fit (without saying where)."""
_KEY_ORDER = {"name": 0, "namespace": 1, "type": 2, "aliases": 3, "doc": 4, "fields": 9}
"""Key order of a written schema: a person reads what a type is before its fields."""


class SchemaError(AlertHubError):
    """The Avro contract cannot be applied: a schema file is broken, or data does not fit it."""


class UnknownSchemaError(SchemaError):
    """A value names a writer schema (by fingerprint) that no kept version has.

    Usually a producer runs a newer schema than this consumer's code: upgrade the consumer.
    """

    def __init__(self, fingerprint_hex: str, known: list[str]) -> None:
        self.fingerprint_hex = fingerprint_hex
        kept = ", ".join(known)
        super().__init__(f"unknown writer schema fingerprint {fingerprint_hex}; kept: {kept}")


class MalformedRecordError(SchemaError):
    """Bytes that are not a single-object-encoded record of the schema they name."""


def schemas_dir() -> Path:
    """The schemas folder shipped with the code (the `schemas` data package)."""
    import schemas  # noqa: PLC0415 - a data package, located only when asked for

    return Path(schemas.__file__).parent


def read_schema(path: Path) -> Schema:
    """A schema file, named types in other files of its folder resolved (`<full name>.avsc`).

    Only a `load_schema` result has the spec's parsing canonical form, hence its fingerprint.
    """
    try:
        schema = load_schema(str(path))
    except (OSError, ValueError, SchemaParseException) as exc:
        raise SchemaError(f"cannot load Avro schema {path}: {exc}") from exc
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise SchemaError(f"{path} is not a record schema; the stream's values are records")
    return schema


def schema_fingerprint(schema: Schema | str | list[Any]) -> bytes:
    """The 8 bytes of CRC-64-AVRO over the parsing canonical form, in the order they are sent."""
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


def history_files(directory: Path, name: str = ENVELOPE) -> list[Path]:
    """Every kept version of a schema, oldest first (`history/<full name>/NNNN.avsc`)."""
    return sorted((directory / "history" / name).glob("*.avsc"))


def standalone_json(schema: Schema) -> str:
    """A loaded schema as one self-contained file: every named type defined at its first use.

    This is what a history copy holds; reloaded, it has the same fingerprint as the original.
    """

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            keys = sorted(
                (k for k in node if not k.startswith("__")), key=lambda k: _KEY_ORDER.get(k, 5)
            )
            return {k: clean(node[k]) for k in keys}
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    return json.dumps(clean(schema), indent=2, ensure_ascii=False) + "\n"


class AvroCodec:
    """Encodes domain events as Kafka values and headers, and decodes any kept version back."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or schemas_dir()
        self._schema = read_schema(directory / f"{ENVELOPE}.avsc")
        self._names: Mapping[str, Any] = self._schema["__named_schemas"]
        self._fingerprint = schema_fingerprint(self._schema)
        writers = {schema_fingerprint(s): s for s in map(read_schema, history_files(directory))}
        writers[self._fingerprint] = self._schema
        self._writers = writers
        self._prefix = MAGIC + self._fingerprint
        self._write = BinaryWriters(self._names, avro_records.POSITIONAL).writer(ENVELOPE)

    @property
    def schema(self) -> Schema:
        """The current (reader and writer) schema, as fastavro parsed it."""
        return self._schema

    @property
    def fingerprint_hex(self) -> str:
        """The current schema's fingerprint, 16 hex digits (the `schema_fingerprint` header)."""
        return self._fingerprint.hex()

    @property
    def writer_schemas(self) -> Mapping[str, Schema]:
        """Every schema version this codec can read, by fingerprint hex."""
        return MappingProxyType({fp.hex(): schema for fp, schema in self._writers.items()})

    def headers(self, event_type: str) -> Headers:
        """Kafka headers of a value: consumers can route or skip an event without decoding it.

        The fingerprint travels as 16 ASCII hex digits, readable in any console consumer; the value
        itself carries the same 8 bytes raw.
        """
        return [
            ("event_type", event_type.encode()),
            ("schema_fingerprint", self.fingerprint_hex.encode("ascii")),
            ("content-type", CONTENT_TYPE),
        ]

    def encode(self, event: DomainEventProtocol[UUID]) -> tuple[bytes, Headers]:
        """A Kafka value (single-object encoding) and headers for one domain event.

        Written by the compiled writers (`avro_binary`) from the event as it is; a value they
        refuse goes the schema-walking way (`to_record`, fastavro), which writes the same bytes
        or says which field does not fit.
        """
        try:
            return self.encode_compiled(event)
        except MISFITS:
            return self.encode_walking(event)

    def encode_compiled(self, event: DomainEventProtocol[UUID]) -> tuple[bytes, Headers]:
        """`encode` by the compiled writers only: a misfit raises without saying where."""
        return self._written(
            avro_records.to_record(event, self._schema, self._names, converted=False)
        )

    def encode_state(
        self, cls: type[Aggregate.Event], alert_id: UUID, version: int, state: Mapping[str, Any]
    ) -> tuple[bytes, Headers]:
        """`encode_compiled` of an event given as its class, id, version and attributes.

        For the relay, which has them from the stored JSON without building the event; a misfit
        raises one of `MISFITS` without saying where (`encode` of the event does).
        """
        return self._written(
            avro_records.state_to_record(
                cls,
                alert_id,
                version,
                state,
                envelope=self._schema,
                names=self._names,
                converted=False,
            )
        )

    def _written(self, record: dict[str, Any]) -> tuple[bytes, Headers]:
        value = bytearray(self._prefix)
        self._write(value, record)
        return bytes(value), self.headers(record["event_type"])

    def encode_walking(self, event: DomainEventProtocol[UUID]) -> tuple[bytes, Headers]:
        """`encode` by walking the schema: `to_record`, then fastavro's writer."""
        record = self.to_record(event)
        buffer = io.BytesIO()
        buffer.write(MAGIC + self._fingerprint)
        try:
            # not `strict`: `to_record` already refuses a value with fields the schema lacks,
            # and fastavro checking every record again only adds to the cost of writing
            schemaless_writer(buffer, self._schema, record)
        except (ValueError, TypeError, KeyError) as exc:
            raise SchemaError(f"{_describe(event)} does not fit {ENVELOPE}: {exc}") from exc
        return buffer.getvalue(), self.headers(record["event_type"])

    def decode(self, value: bytes) -> DomainEvent:
        """The domain event of a Kafka value written with any kept schema version."""
        return self.from_record(self.read(value))

    def read(self, value: bytes) -> dict[str, Any]:
        """The record of a Kafka value, in the current schema's shape.

        For consumers that need no domain event (exports, analysts' tools); the payload comes as
        fastavro's `(branch full name, record)` pair. A value of the current schema is read
        without resolution, the common case and the fastest.
        """
        writer = self._writer_of(value)
        reader = None if writer is self._schema else self._schema
        fingerprint_hex = value[len(MAGIC) : HEADER_SIZE].hex()
        body = io.BytesIO(value)
        body.seek(HEADER_SIZE)
        try:
            record = schemaless_reader(
                body, writer, reader, return_record_name=True, return_record_name_override=True
            )
        except SchemaResolutionError as exc:
            raise SchemaError(f"writer schema {fingerprint_hex} does not resolve: {exc}") from exc
        except (EOFError, ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
            raise MalformedRecordError(
                f"not a record of schema {fingerprint_hex}: {exc!r}"
            ) from exc
        if (rest := len(value) - body.tell()) != 0:
            raise MalformedRecordError(f"{rest} bytes left after the record; expected none")
        if not isinstance(record, dict):  # cannot happen: only record schemas are loaded
            raise MalformedRecordError(f"decoded a {type(record).__name__}, not a record")
        return record

    def to_record(self, event: DomainEventProtocol[UUID]) -> dict[str, Any]:
        """The envelope record of an event, as `schemaless_writer` takes it."""
        try:
            return avro_records.to_record(event, self._schema, self._names)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SchemaError(f"{_describe(event)} has no Avro record: {exc}") from exc

    def from_record(self, record: Mapping[str, Any]) -> DomainEvent:
        """The domain event of an envelope record in the current schema's shape."""
        try:
            return avro_records.from_record(record, self._schema, self._names)
        except (KeyError, TypeError, ValueError) as exc:
            raise SchemaError(f"record is not a canonical alert event: {exc!r}") from exc

    def _writer_of(self, value: bytes) -> Schema:
        if len(value) < HEADER_SIZE:
            raise MalformedRecordError(
                f"value of {len(value)} bytes is shorter than the {HEADER_SIZE}-byte header"
            )
        if value[:2] != MAGIC:
            raise MalformedRecordError(
                f"not Avro single-object encoding: starts {value[:2].hex()}, expected {MAGIC.hex()}"
            )
        writer = self._writers.get(value[2:HEADER_SIZE])
        if writer is None:
            raise UnknownSchemaError(value[2:HEADER_SIZE].hex(), [fp.hex() for fp in self._writers])
        return writer


def _describe(event: object) -> str:
    version = getattr(event, "originator_version", "?")
    return f"{type(event).__name__} v{version} of {getattr(event, 'originator_id', '?')}"
