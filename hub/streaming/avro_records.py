"""Domain events ⇄ plain records of the `alerthub.v1.AlertEvent` schema, driven by the schema.

Why schema-driven: each payload record names exactly the fields of its event class, and the
`AlertMessage` tree names exactly the fields of the CAP model's JSON (`AlertMessage.to_json()`), so
the mapping walks the schema instead of repeating every field in code. A field added to the schema
and to the domain (with a default) needs no change here. Two shape differences are handled:

- CAP JSON writes a polygon point as `[lat, lon]`; the schema makes it a record (`POSITIONAL`), so
  no reader can swap the axes;
- the JSON leaves out absent optional values, Avro writes null: nulls are dropped on the way back,
  which gives exactly `model_dump(mode="json", exclude_none=True)` again.

Personal data: an event read `sealed` from the store carries its ciphertext as the `sealed`
attribute, which travels in the envelope's `sealed` field and comes back the same way (opening it
is the reader's business, `hub.privacy.sealing`). `PersonalDataErased` travels as an `AlertUpdated`
payload with the envelope's `erasure` set: a new union branch could not be read by consumers of
older schema versions, and to them the event reads as what it is for them, the alert's content
replaced by its erased form.

A value the schema has no field for is refused, never dropped: the mapping is lossless or fails.
Raises `KeyError`, `TypeError` or `ValueError` (with the path) on data that does not fit;
`hub.streaming.avro` turns those into its `SchemaError`s.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import datetime
from hashlib import sha1
from operator import itemgetter
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEventProtocol

from domain.alert import ALERT_EVENTS, AlertUpdated, PersonalDataErased
from domain.identity import NAMESPACE

Names = Mapping[str, Any]
"""Named Avro types by full name, as fastavro's parsed schema keeps them (`__named_schemas`)."""

POSITIONAL = frozenset({"alerthub.v1.Coordinate"})
"""Records that the canonical JSON writes as arrays, their fields in schema order."""

EVENT_TYPES: dict[str, type[Aggregate.Event]] = {cls.__name__: cls for cls in ALERT_EVENTS}
ENVELOPE_ATTRIBUTES = frozenset(
    {"originator_id", "originator_version", "timestamp", "provenance", "sealed"}
)
"""Event attributes the envelope carries; every other attribute goes into the payload branch."""
ERASURE_ATTRIBUTES = ("erased_by", "reason", "fields")
"""What `PersonalDataErased` adds to its `AlertUpdated` payload, carried in the envelope."""
_NAMESPACE_BYTES = NAMESPACE.bytes


def event_id(alert_id: UUID, version: int) -> UUID:
    """The same event always gets the same id, so at-least-once duplicates are recognisable."""
    return uuid5(NAMESPACE, f"event:{alert_id}:{version}")


def event_id_text(alert_id: UUID, version: int) -> str:
    """`str(event_id(...))` without building two `UUID`s (the relay forms one per event)."""
    digest = bytearray(sha1(_NAMESPACE_BYTES + f"event:{alert_id}:{version}".encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest[:16].hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def message_key(message: Mapping[str, Any]) -> str:
    """CAP's identity of a message (`sender|identifier`), as `AlertMessage.key` forms it."""
    return f"{message['sender']}|{message['identifier']}"


def correlation_id(event: DomainEventProtocol[UUID]) -> str:
    """The thread that ties an alert's messages together, as far as this one event tells.

    The channel's thread when the event carries it; otherwise the root of the CAP reference
    chain (the earliest-sent reference), or the message itself when it references nothing: the
    same keys that alert ids are derived from (`domain.identity`).
    """
    return _correlation_id(vars(event))


def _correlation_id(state: Mapping[str, Any]) -> str:
    thread = state.get("thread")
    if isinstance(thread, str):
        return thread
    message: dict[str, Any] = state["message"]
    references = message.get("references") or []
    if not references:
        return message_key(message)
    return message_key(min(references, key=lambda ref: datetime.fromisoformat(ref["sent"])))


def to_record(
    event: DomainEventProtocol[UUID],
    envelope: Mapping[str, Any],
    names: Names,
    *,
    converted: bool = True,
) -> dict[str, Any]:
    """The envelope record of an event; the payload in fastavro's `(branch name, record)` form.

    `converted=False` leaves the payload and provenance as the event holds them (canonical
    JSON, checked and shaped only as they are written): what `hub.streaming.avro_binary` takes.
    """
    event_type = type(event).__name__
    if EVENT_TYPES.get(event_type) is not type(event):
        raise TypeError(f"{type(event).__qualname__} is not a canonical alert event")
    return state_to_record(
        type(event),
        event.originator_id,
        event.originator_version,
        vars(event),
        envelope=envelope,
        names=names,
        converted=converted,
    )


def state_to_record(
    cls: type[Aggregate.Event],
    alert_id: UUID,
    version: int,
    state: Mapping[str, Any],
    *,
    envelope: Mapping[str, Any],
    names: Names,
    converted: bool = True,
) -> dict[str, Any]:
    """`to_record` of an event's class, id, version and attributes, without the event itself.

    What the relay writes from a stored event's JSON: it has these four without building the
    domain event, which would only be taken apart again here.
    """
    event_type = cls.__name__
    attributes = {k: v for k, v in state.items() if k not in ENVELOPE_ATTRIBUTES}
    erasure = None
    if issubclass(cls, PersonalDataErased):
        erasure = {name: attributes.pop(name) for name in ERASURE_ATTRIBUTES}
    branch = f"{_namespace(envelope)}.{AlertUpdated.__name__ if erasure else event_type}"
    payload = _record_to_avro(names[branch], attributes, names, "") if converted else attributes
    provenance = state.get("provenance")
    if converted:
        provenance = to_avro(_field(envelope, "provenance"), provenance, names, "provenance")
    message = payload["message"]
    return {
        "event_id": event_id_text(alert_id, version),
        "alert_id": str(alert_id),
        "version": version,
        "event_type": event_type,
        "occurred_at": message["sent"],
        "recorded_at": state["timestamp"],
        "origin": {
            "channel": payload["channel"],
            "sender": message["sender"],
            "identifier": message["identifier"],
            "sent": message["sent"],
        },
        "partner": message["sender"],
        "correlation_id": _correlation_id(state),
        "causation_id": message_key(message),
        "provenance": provenance,
        "sealed": _sealed_to_avro(state.get("sealed")),
        "erasure": erasure,
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
    compiled = _compiled(names)
    branch = compiled.field_readers(f"{_namespace(envelope)}.{event_type}")
    fields = {field: read(payload[field]) for field, read in branch}
    fields["provenance"] = compiled.reader(_field(envelope, "provenance"))(record.get("provenance"))
    erasure = record.get("erasure")
    if erasure is not None:
        cls = PersonalDataErased
        fields |= {name: erasure[name] for name in ERASURE_ATTRIBUTES}
    event = cls(
        originator_id=_uuid(record["alert_id"]),
        originator_version=record["version"],
        timestamp=record["recorded_at"],
        **fields,
    )
    if (sealed := record.get("sealed")) is not None:
        vars(event)["sealed"] = _sealed_from_avro(sealed)
    return event


def _sealed_to_avro(sealed: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored form of sealed fields (base64 text, as JSON keeps it) as the Avro record."""
    if sealed is None:
        return None
    return {
        "key_id": sealed["key_id"],
        "paths": list(sealed["paths"]),
        "nonce": base64.b64decode(sealed["nonce"]),
        "ciphertext": base64.b64decode(sealed["ciphertext"]),
    }


def _sealed_from_avro(sealed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key_id": sealed["key_id"],
        "paths": list(sealed["paths"]),
        "nonce": base64.b64encode(sealed["nonce"]).decode(),
        "ciphertext": base64.b64encode(sealed["ciphertext"]).decode(),
    }


def to_avro(schema: Any, value: Any, names: Names, path: str = "") -> Any:
    """A canonical JSON value in the shape fastavro writes for `schema` (`path`: for errors)."""
    try:
        return _compiled(names).writer(schema)(value)
    except _Misfit as misfit:
        raise misfit.error(path) from None


def from_avro(schema: Any, value: Any, names: Names) -> Any:
    """The canonical JSON value of what fastavro read for `schema` (nulls left out of records)."""
    return _compiled(names).reader(schema)(value)


def _record_to_avro(
    schema: Mapping[str, Any], value: Any, names: Names, path: str
) -> dict[str, Any]:
    converted: dict[str, Any] = to_avro(schema, value, names, path)
    return converted


Convert = Callable[[Any], Any]


class _Misfit(Exception):  # noqa: N818 - internal, always turned into TypeError/ValueError
    """A value that does not fit, raised deep in a converter; each record and array on the way
    out adds its step to the path, so the happy path never builds a path string."""

    def __init__(self, kind: type[Exception], text: str, where: str = "", record: str = "") -> None:
        super().__init__(text)
        self.kind, self.text, self.record = kind, text, record
        self.steps = [where] if where else []

    def within(self, step: str) -> _Misfit:
        self.steps.append(step)
        return self

    def error(self, path: str) -> Exception:
        inner = "".join(s if s.startswith("[") else f".{s}" for s in reversed(self.steps))
        where = f"{path}{inner}".lstrip(".") or self.record
        return self.kind(f"{where}: {self.text}" if where else self.text)


class _Compiled:
    """Converters for every type of one schema, each built once, on first use, then reused.

    Walking the schema for every value (resolving names, reading field lists, checking kinds)
    cost about 75 recursive calls per event; a converter is a closure that already knows its
    fields and the converters of their types, and a plain value is not converted at all.
    """

    def __init__(self, names: Names) -> None:
        self.names = names
        self._writers: dict[object, Convert] = {}
        self._readers: dict[object, Convert] = {}
        self._fields: dict[str, list[tuple[str, Convert]]] = {}

    def writer(self, schema: Any) -> Convert:
        return self._memo(self._writers, schema, self._build_writer)

    def reader(self, schema: Any) -> Convert:
        return self._memo(self._readers, schema, self._build_reader)

    def field_readers(self, record: str) -> list[tuple[str, Convert]]:
        """A named record's fields with their readers, nulls kept (they are arguments)."""
        found = self._fields.get(record)
        if found is None:
            fields = self.names[record]["fields"]
            found = self._fields[record] = [(f["name"], self.reader(f["type"])) for f in fields]
        return found

    def _memo(
        self, memo: dict[object, Convert], schema: Any, build: Callable[[Any], Convert]
    ) -> Convert:
        key = schema if isinstance(schema, str) else id(schema)  # schemas live in `names`
        found = memo.get(key)
        if found is None:
            built: list[Convert] = []
            memo[key] = lambda value: built[0](value)  # noqa: PLW0108 - a type that contains itself
            built.append(build(_resolve(schema, self.names)))
            memo[key] = found = built[0]
        return found

    def _build_writer(self, schema: Any) -> Convert:
        if isinstance(schema, list):
            inner = self.writer(_non_null(schema))
            return _same if inner is _same else lambda v: None if v is None else inner(v)
        kind = schema.get("type") if isinstance(schema, dict) else schema
        if kind == "record":
            return self._record_writer(schema)
        if kind == "array":
            return _array_writer(self.writer(schema["items"]))
        if kind == "map":
            return _map_writer(self.writer(schema["values"]))
        return _same

    def _record_writer(self, schema: Mapping[str, Any]) -> Convert:
        name = schema["name"]
        fields = [
            (f["name"], self.writer(f["type"]), "default" in f, f.get("default"))
            for f in schema["fields"]
        ]
        known = frozenset(field[0] for field in fields)
        positional = name in POSITIONAL

        def convert(value: Any) -> dict[str, Any]:
            if positional:
                if len(_expect(value, list)) != len(fields):
                    raise _Misfit(ValueError, f"{len(fields)} values expected, got {value!r}")
                value = {field[0]: item for field, item in zip(fields, value, strict=True)}
            if not known.issuperset(_expect(value, dict)):
                unknown = sorted(set(value) - known)  # refuse rather than drop
                raise _Misfit(ValueError, f"{unknown} not in {name}", record=name)
            out = {}
            for field, write, has_default, default in fields:
                if field in value:
                    if write is _same:
                        out[field] = value[field]
                        continue
                    try:
                        out[field] = write(value[field])
                    except _Misfit as misfit:
                        raise misfit.within(field) from None
                elif has_default:
                    out[field] = default
                else:
                    raise _Misfit(ValueError, "required, and missing", where=field)
            return out

        return convert

    def _build_reader(self, schema: Any) -> Convert:
        if isinstance(schema, list):
            inner = self.reader(_non_null(schema))
            return _same if inner is _same else lambda v: None if v is None else inner(v)
        kind = schema.get("type") if isinstance(schema, dict) else schema
        if kind == "record":
            fields = [(f["name"], self.reader(f["type"])) for f in schema["fields"]]
            if schema["name"] in POSITIONAL:
                return _positional_reader(fields)
            return _record_reader(fields)
        if kind == "array":
            items = self.reader(schema["items"])
            return _same if items is _same else lambda value: [items(item) for item in value]
        if kind == "map":
            values = self.reader(schema["values"])
            return lambda value: {key: values(item) for key, item in value.items()}
        return _same


_COMPILED: dict[int, _Compiled] = {}
_KEPT = 8  # codecs alive at once in one process (tests make a few)


def _compiled(names: Names) -> _Compiled:
    """The converters of a schema's named types, built once per schema (per `names`)."""
    found = _COMPILED.get(id(names))
    if found is None or found.names is not names:
        while len(_COMPILED) >= _KEPT:
            del _COMPILED[next(iter(_COMPILED))]
        found = _COMPILED[id(names)] = _Compiled(names)
    return found


def _record_reader(fields: list[tuple[str, Convert]]) -> Convert:
    """A record as fastavro read it (every field, in schema order), nulls left out.

    The common case, exactly the schema's fields, is filtered in one C-level pass and only the
    fields that need it are converted; any other dict takes the field-by-field way.
    """
    known = frozenset(field for field, _ in fields)
    converted = [(field, read) for field, read in fields if read is not _same]

    def by_field(value: Any) -> dict[str, Any]:
        return {
            field: item
            for field, read in fields
            if (item := value[field] if read is _same else read(value[field])) is not None
        }

    def convert(value: Any) -> dict[str, Any]:
        if value.keys() != known:
            return by_field(value)
        out = {field: item for field, item in value.items() if item is not None}
        for field, read in converted:
            if field in out:
                out[field] = read(out[field])
        return out

    return convert


def _positional_reader(fields: list[tuple[str, Convert]]) -> Convert:
    if len(fields) > 1 and all(read is _same for _, read in fields):
        values = itemgetter(*(field for field, _ in fields))
        return lambda value: list(values(value))
    return lambda value: [read(value[field]) for field, read in fields]


def _array_writer(items: Convert) -> Convert:
    def convert(value: Any) -> list[Any]:
        if items is _same:
            return list(_expect(value, list))
        out = []
        for index, item in enumerate(_expect(value, list)):
            try:
                out.append(items(item))
            except _Misfit as misfit:
                raise misfit.within(f"[{index}]") from None
        return out

    return convert


def _map_writer(values: Convert) -> Convert:
    def convert(value: Any) -> dict[str, Any]:
        out = {}
        for key, item in _expect(value, dict).items():
            try:
                out[key] = values(item)
            except _Misfit as misfit:
                raise misfit.within(key) from None
        return out

    return convert


def _same(value: Any) -> Any:
    return value


def _expect(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise _Misfit(TypeError, f"a {kind.__name__} expected, got {type(value).__name__}")
    return value


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
