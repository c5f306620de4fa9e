"""Domain events ⇄ plain records of the `alerthub.v1.AlertEvent` schema, driven by the schema.

Why schema-driven: each payload record names exactly the fields of its event class, and the
`AlertMessage` tree names exactly the fields of the CAP model's JSON (`AlertMessage.to_json()`), so
the mapping walks the schema instead of repeating every field in code. A field added to the schema
and to the domain (with a default) needs no change here. Two shape differences are handled:

- CAP JSON writes a polygon point as `[lat, lon]`; the schema makes it a record (`POSITIONAL`), so
  no reader can swap the axes;
- the JSON leaves out absent optional values, Avro writes null: nulls are dropped on the way back,
  which gives exactly `model_dump(mode="json", exclude_none=True)` again.

A value the schema has no field for is refused, never dropped: the mapping is lossless or fails.
Raises `KeyError`, `TypeError` or `ValueError` (with the path) on data that does not fit;
`hub.streaming.avro` turns those into its `SchemaError`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEventProtocol

from domain.alert import ALERT_EVENTS
from domain.identity import NAMESPACE

Names = Mapping[str, Any]
"""Named Avro types by full name, as fastavro's parsed schema keeps them (`__named_schemas`)."""

POSITIONAL = frozenset({"alerthub.v1.Coordinate"})
"""Records that the canonical JSON writes as arrays, their fields in schema order."""

EVENT_TYPES: dict[str, type[Aggregate.Event]] = {cls.__name__: cls for cls in ALERT_EVENTS}
ENVELOPE_ATTRIBUTES = frozenset({"originator_id", "originator_version", "timestamp", "provenance"})
"""Event attributes the envelope carries; every other attribute goes into the payload branch."""


def event_id(alert_id: UUID, version: int) -> UUID:
    """The same event always gets the same id, so at-least-once duplicates are recognisable."""
    return uuid5(NAMESPACE, f"event:{alert_id}:{version}")


def message_key(message: Mapping[str, Any]) -> str:
    """CAP's identity of a message (`sender|identifier`), as `AlertMessage.key` forms it."""
    return f"{message['sender']}|{message['identifier']}"


def correlation_id(event: DomainEventProtocol[UUID]) -> str:
    """The thread that ties an alert's messages together, as far as this one event tells.

    The channel's thread when the event carries it; otherwise the root of the CAP reference
    chain (the earliest-sent reference), or the message itself when it references nothing: the
    same keys that alert ids are derived from (`domain.identity`).
    """
    thread = getattr(event, "thread", None)
    if isinstance(thread, str):
        return thread
    message: dict[str, Any] = getattr(event, "message")  # noqa: B009 - every alert event has one
    references = message.get("references") or []
    if not references:
        return message_key(message)
    return message_key(min(references, key=lambda ref: datetime.fromisoformat(ref["sent"])))


def to_record(
    event: DomainEventProtocol[UUID], envelope: Mapping[str, Any], names: Names
) -> dict[str, Any]:
    """The envelope record of an event; the payload in fastavro's `(branch name, record)` form."""
    event_type = type(event).__name__
    if EVENT_TYPES.get(event_type) is not type(event):
        raise TypeError(f"{type(event).__qualname__} is not a canonical alert event")
    branch = f"{_namespace(envelope)}.{event_type}"
    attributes = {k: v for k, v in vars(event).items() if k not in ENVELOPE_ATTRIBUTES}
    payload = _record_to_avro(names[branch], attributes, names, "")
    message = payload["message"]
    return {
        "event_id": str(event_id(event.originator_id, event.originator_version)),
        "alert_id": str(event.originator_id),
        "version": event.originator_version,
        "event_type": event_type,
        "occurred_at": message["sent"],
        "recorded_at": event.timestamp,
        "origin": {
            "channel": payload["channel"],
            "sender": message["sender"],
            "identifier": message["identifier"],
            "sent": message["sent"],
        },
        "partner": message["sender"],
        "correlation_id": correlation_id(event),
        "causation_id": message_key(message),
        "provenance": to_avro(
            _field(envelope, "provenance"), getattr(event, "provenance", None), names, "provenance"
        ),
        "payload": (branch, payload),
    }


def from_record(
    record: Mapping[str, Any], envelope: Mapping[str, Any], names: Names
) -> Aggregate.Event:
    """The domain event of an envelope record (as read with the current schema)."""
    event_type, payload = _payload(record)
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise ValueError(f"unknown event type {event_type!r}; known: {sorted(EVENT_TYPES)}")
    branch = names[f"{_namespace(envelope)}.{event_type}"]
    fields = {f["name"]: from_avro(f["type"], payload[f["name"]], names) for f in branch["fields"]}
    fields["provenance"] = from_avro(
        _field(envelope, "provenance"), record.get("provenance"), names
    )
    return cls(
        originator_id=_uuid(record["alert_id"]),
        originator_version=record["version"],
        timestamp=record["recorded_at"],
        **fields,
    )


def to_avro(schema: Any, value: Any, names: Names, path: str = "") -> Any:
    """A canonical JSON value in the shape fastavro writes for `schema` (`path`: for errors)."""
    schema = _resolve(schema, names)
    if isinstance(schema, list):
        return None if value is None else to_avro(_non_null(schema), value, names, path)
    kind = schema.get("type") if isinstance(schema, dict) else schema
    if kind == "record":
        return _record_to_avro(schema, value, names, path)
    if kind == "array":
        _expect(value, list, path)
        return [to_avro(schema["items"], v, names, f"{path}[{i}]") for i, v in enumerate(value)]
    if kind == "map":
        _expect(value, dict, path)
        return {k: to_avro(schema["values"], v, names, f"{path}.{k}") for k, v in value.items()}
    return value


def from_avro(schema: Any, value: Any, names: Names) -> Any:
    """The canonical JSON value of what fastavro read for `schema` (nulls left out of records)."""
    schema = _resolve(schema, names)
    if isinstance(schema, list):
        return None if value is None else from_avro(_non_null(schema), value, names)
    kind = schema.get("type") if isinstance(schema, dict) else schema
    if kind == "record":
        items = {f["name"]: from_avro(f["type"], value[f["name"]], names) for f in schema["fields"]}
        if schema["name"] in POSITIONAL:
            return list(items.values())
        return {name: item for name, item in items.items() if item is not None}
    if kind == "array":
        return [from_avro(schema["items"], item, names) for item in value]
    if kind == "map":
        return {key: from_avro(schema["values"], item, names) for key, item in value.items()}
    return value


def _record_to_avro(
    schema: Mapping[str, Any], value: Any, names: Names, path: str
) -> dict[str, Any]:
    fields = schema["fields"]
    if schema["name"] in POSITIONAL:
        _expect(value, list, path)
        if len(value) != len(fields):
            raise ValueError(f"{path}: {len(fields)} values expected, got {value!r}")
        value = {field["name"]: item for field, item in zip(fields, value, strict=True)}
    _expect(value, dict, path)
    unknown = set(value) - {field["name"] for field in fields}
    if unknown:  # refuse rather than drop: the stream must carry everything the event holds
        raise ValueError(f"{path or schema['name']}: {sorted(unknown)} not in {schema['name']}")
    return {field["name"]: _field_to_avro(field, value, names, path) for field in fields}


def _field_to_avro(
    field: Mapping[str, Any], value: Mapping[str, Any], names: Names, path: str
) -> Any:
    name = field["name"]
    if name in value:
        return to_avro(field["type"], value[name], names, f"{path}.{name}".lstrip("."))
    if "default" in field:
        return field["default"]
    raise ValueError(f"{path}.{name}: required, and missing".lstrip("."))


def _expect(value: Any, kind: type, path: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{path}: a {kind.__name__} expected, got {type(value).__name__}")


def _resolve(schema: Any, names: Names) -> Any:
    """A named type's definition when `schema` is a reference to it by full name."""
    return names[schema] if isinstance(schema, str) and schema in names else schema


def _non_null(union: list[Any]) -> Any:
    branches = [branch for branch in union if branch != "null"]
    if len(branches) != 1:
        raise TypeError(f"only [null, T] unions map to JSON values, not {union!r}")
    return branches[0]


def _field(schema: Mapping[str, Any], name: str) -> Any:
    """The type of a record's field, by name."""
    return next(f["type"] for f in schema["fields"] if f["name"] == name)


def _namespace(envelope: Mapping[str, Any]) -> str:
    return str(envelope["name"]).rpartition(".")[0]


def _payload(record: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The payload's event type: from fastavro's `(name, record)` form, else the envelope's."""
    payload = record["payload"]
    if isinstance(payload, tuple):
        name, body = payload
        return str(name).rpartition(".")[2], body
    return str(record["event_type"]), payload


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
