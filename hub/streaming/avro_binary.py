"""Avro binary encoding by writers compiled once per schema: the relay's fast path.

Why not fastavro's `schemaless_writer`: it dispatches on the schema for every value of every
record (about half of the relay's time per event went there, more than the producer's own
send). Here each named type becomes a closure that knows its fields and their writers (a
record's, a function generated from its fields), and a value is appended to one `bytearray`.
The bytes are those of the Avro specification's binary encoding, exactly as fastavro writes
them (arrays and maps in one block, union branch by index); `tests/unit/test_avro_binary.py`
holds the two to the same bytes.

Values come in the shape `hub.streaming.avro_records` gives fastavro (canonical JSON: a
`POSITIONAL` record as a list, absent optional fields left out), and a union of several named
types takes fastavro's `(branch full name, value)` form. A value that does not fit raises
`TypeError`, `ValueError`, `KeyError` or `AttributeError` without saying where: the codec then
takes the schema-walking path, which names the field (`hub.streaming.avro`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

Write = Callable[[bytearray, Any], None]
Names = Mapping[str, Any]

_ONE_BYTE = [bytes([n]) for n in range(128)]
_MISSING = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def long_bytes(n: int) -> bytes:
    """An Avro `long`: zig-zag, then little-endian base-128 varint."""
    n = (n << 1) ^ (n >> 63)
    if n < 0x80:
        return _ONE_BYTE[n]
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _write_string(buf: bytearray, value: Any) -> None:
    data = value.encode()
    size = len(data)
    buf += _ONE_BYTE[size << 1] if size < 0x40 else long_bytes(size)
    buf += data


def _write_bytes(buf: bytearray, value: Any) -> None:
    buf += long_bytes(len(value))
    buf += value


def _write_long(buf: bytearray, value: Any) -> None:
    if not -(1 << 63) <= value < 1 << 63:
        raise OverflowError(f"{value} does not fit an Avro long")
    buf += long_bytes(value)


def _write_double(buf: bytearray, value: Any) -> None:
    buf += struct.pack("<d", value)


def _write_float(buf: bytearray, value: Any) -> None:
    buf += struct.pack("<f", value)


def _write_boolean(buf: bytearray, value: Any) -> None:
    buf += b"\x01" if value else b"\x00"


def _write_null(buf: bytearray, value: Any) -> None:
    if value is not None:
        raise TypeError(f"null expected, got {type(value).__name__}")


def _write_timestamp_micros(buf: bytearray, value: Any) -> None:
    if isinstance(value, datetime):
        delta = value - _EPOCH  # fastavro's arithmetic, for the same integer
        value = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    _write_long(buf, value)


def _write_uuid(buf: bytearray, value: Any) -> None:
    _write_string(buf, value if isinstance(value, str) else str(value))


_PRIMITIVES: dict[str, Write] = {
    "string": _write_string,
    "bytes": _write_bytes,
    "long": _write_long,
    "int": _write_long,
    "double": _write_double,
    "float": _write_float,
    "boolean": _write_boolean,
    "null": _write_null,
}
_LOGICAL: dict[tuple[str, str], Write] = {
    ("long", "timestamp-micros"): _write_timestamp_micros,
    ("string", "uuid"): _write_uuid,
}


class BinaryWriters:
    """The writers of one parsed schema's types, each built once, on first use."""

    def __init__(self, names: Names, positional: frozenset[str]) -> None:
        self.names, self.positional = names, positional
        self._built: dict[object, Write] = {}

    def writer(self, schema: Any) -> Write:
        """The writer of `schema`: a type name, a union list or a type definition."""
        key = schema if isinstance(schema, str) else id(schema)  # definitions live in `names`
        found = self._built.get(key)
        if found is None:
            later: list[Write] = []  # a named type may contain itself
            self._built[key] = lambda buf, value: later[0](buf, value)  # noqa: PLW0108
            named = isinstance(schema, str) and schema in self.names
            later.append(self._build(self.names[schema] if named else schema))
            self._built[key] = found = later[0]
        return found

    def _build(self, schema: Any) -> Write:
        if isinstance(schema, list):
            return self._union(schema)
        if isinstance(schema, str):
            return _PRIMITIVES[schema]
        kind = schema["type"]
        plain = _LOGICAL.get((kind, schema.get("logicalType", ""))) or _PRIMITIVES.get(kind)
        if plain is not None:
            return plain
        complex_types: dict[str, Callable[[Any], Write]] = {
            "record": self._record,
            "array": lambda array: _array(self.writer(array["items"])),
            "map": lambda map_: _map(self.writer(map_["values"])),
            "enum": lambda enum: _enum(enum["symbols"]),
        }
        if kind not in complex_types:
            raise TypeError(f"no binary writer for Avro type {kind!r}")
        return complex_types[kind](schema)

    def _union(self, union: list[Any]) -> Write:
        if len(union) == 2 and "null" in union:
            null = long_bytes(union.index("null"))
            other = long_bytes(1 - union.index("null"))
            inner = self.writer(union[1 - union.index("null")])

            def optional(buf: bytearray, value: Any) -> None:
                if value is None:
                    buf += null
                else:
                    buf += other
                    inner(buf, value)

            def optional_string(buf: bytearray, value: Any) -> None:
                if value is None:
                    buf += null
                else:
                    data = value.encode()
                    size = len(data)
                    buf += other
                    buf += _ONE_BYTE[size << 1] if size < 0x40 else long_bytes(size)
                    buf += data

            return optional_string if inner is _write_string else optional
        branches = {
            branch["name"] if isinstance(branch, dict) else branch: (
                long_bytes(index),
                self.writer(branch),
            )
            for index, branch in enumerate(union)
        }

        def tagged(buf: bytearray, value: Any) -> None:
            name, inner_value = value  # fastavro's (branch full name, value) form
            index, write = branches[name]
            buf += index
            write(buf, inner_value)

        return tagged

    def _record(self, schema: Mapping[str, Any]) -> Write:
        fields = [
            (f["name"], self.writer(f["type"]), "default" in f, f.get("default"))
            for f in schema["fields"]
        ]
        known = frozenset(name for name, *_ in fields)
        if schema["name"] in self.positional:
            return _positional([write for _, write, *_ in fields])
        return _generated_record(schema["name"], known, fields, schema["fields"])


def _generated_record(
    name: str,
    known: frozenset[str],
    fields: list[tuple[str, Write, bool, Any]],
    definitions: list[Mapping[str, Any]],
) -> Write:
    """A record's writer as one straight-line function, generated from its fields.

    Why generated: a loop over the fields paid, for each field of each record, the loop itself,
    unpacking the field's plan and a call to its writer, and about 13 records make one event.
    Generated, each field is a few lines in place, strings (plain or `[null, string]`, the
    commonest leaves) written inline, only other types calling their writer: a quarter less
    time per record. The source holds field names (Avro names, `[A-Za-z_][A-Za-z0-9_]*`,
    written as literals) and names of the values in `scope`, never a value itself.
    """
    scope: dict[str, Any] = {
        "_MISSING": _MISSING,
        "_ONE_BYTE": _ONE_BYTE,
        "long_bytes": long_bytes,
        "known": known,
        "name": name,
    }
    lines = [
        "def record(buf, value):",
        "    if not isinstance(value, dict):",
        "        raise TypeError(f'a dict expected, got {type(value).__name__}')",
        "    if not known.issuperset(value):",
        "        raise ValueError(f'{sorted(set(value) - known)} not in {name}')",
        "    get = value.get",
    ]
    string = [
        "data = item.encode()",
        "size = len(data)",
        "buf += _ONE_BYTE[size << 1] if size < 0x40 else long_bytes(size)",
        "buf += data",
    ]
    for index, ((field, write, has_default, default), definition) in enumerate(
        zip(fields, definitions, strict=True)
    ):
        ready = _plain_default(definition["type"], default) if has_default else None
        scope[f"write{index}"], scope[f"default{index}"] = write, default
        scope[f"ready{index}"] = ready
        if write is _write_string:
            body = string
        elif (nulls := _optional_string(definition["type"])) is not None:
            scope[f"null{index}"], scope[f"other{index}"] = nulls
            body = [
                "if item is None:",
                f"    buf += null{index}",
                "else:",
                f"    buf += other{index}",
                *(f"    {line}" for line in string),
            ]
        else:
            body = [f"write{index}(buf, item)"]
        lines.append(f"    item = get({field!r}, _MISSING)")
        lines.append("    if item is _MISSING:")
        if ready is not None:  # a left-out field's default, its bytes ready made
            lines += [f"        buf += ready{index}", "    else:"]
            lines += [f"        {line}" for line in body]
            continue
        if has_default:
            lines.append(f"        item = default{index}")
        else:
            lines.append(f"        raise KeyError({field!r})")
        lines += [f"    {line}" for line in body]
    exec(compile("\n".join(lines), f"<avro writer of {name}>", "exec"), scope)
    generated: Write = scope["record"]
    return generated


def _optional_string(schema: Any) -> tuple[bytes, bytes] | None:
    """The branch bytes of a `[null, string]` union (null's, the string's), else None."""
    if isinstance(schema, list) and len(schema) == 2 and {*map(str, schema)} == {"null", "string"}:
        return long_bytes(schema.index("null")), long_bytes(schema.index("string"))
    return None


def _plain_default(schema: Any, default: Any) -> bytes | None:
    """The bytes of a field's default when they need no writer: null in a union, `[]`."""
    if default is None and isinstance(schema, list) and "null" in schema:
        return long_bytes(schema.index("null"))
    if default == [] and isinstance(schema, dict) and schema.get("type") == "array":
        return b"\x00"
    return None


def _positional(writers: list[Write]) -> Write:
    """A record the canonical JSON writes as a list of its field values, in schema order."""
    size = len(writers)

    def record(buf: bytearray, value: Any) -> None:
        if not isinstance(value, list) or len(value) != size:
            raise ValueError(f"{size} values expected, got {value!r}")
        for write, item in zip(writers, value, strict=True):
            write(buf, item)

    return record


def _array(items: Write) -> Write:
    def array(buf: bytearray, value: Any) -> None:
        if not isinstance(value, list):
            raise TypeError(f"a list expected, got {type(value).__name__}")
        if value:
            buf += long_bytes(len(value))
            for item in value:
                items(buf, item)
        buf += b"\x00"

    return array


def _map(values: Write) -> Write:
    def mapping(buf: bytearray, value: Any) -> None:
        if not isinstance(value, dict):
            raise TypeError(f"a dict expected, got {type(value).__name__}")
        if value:
            buf += long_bytes(len(value))
            for key, item in value.items():
                _write_string(buf, key)
                values(buf, item)
        buf += b"\x00"

    return mapping


def _enum(symbols: list[str]) -> Write:
    indexes = {symbol: long_bytes(index) for index, symbol in enumerate(symbols)}

    def enum(buf: bytearray, value: Any) -> None:
        buf += indexes[value]

    return enum
