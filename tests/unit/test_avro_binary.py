"""Compiled Avro writers: the bytes fastavro writes, for every kind of type they handle."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given
from hypothesis import strategies as st

from hub.streaming.avro_binary import BinaryWriters, long_bytes

LONGS = st.integers(min_value=-(2**63), max_value=2**63 - 1)
KINDS: dict[str, Any] = {
    "type": "record",
    "name": "test.Kinds",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "float"},
        {"name": "data", "type": "bytes"},
        {"name": "colour", "type": {"type": "enum", "name": "test.Colour", "symbols": ["R", "G"]}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "tail", "type": ["string", "null"], "default": "x"},
        {"name": "pair", "type": {"type": "record", "name": "test.Pair", "fields": [
            {"name": "a", "type": "double"}, {"name": "b", "type": "double"}]}},
    ],
}  # fmt: skip


def fastavro_bytes(schema: Any, value: Any) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, schema, value)
    return out.getvalue()


@given(LONGS)
def test_longs_are_zigzag_varints_as_fastavro_writes_them(number: int) -> None:
    assert long_bytes(number) == fastavro_bytes("long", number)


@given(
    flag=st.booleans(),
    small=st.floats(width=32, allow_nan=False),
    data=st.binary(max_size=200),
    colour=st.sampled_from(["R", "G"]),
    counts=st.dictionaries(st.text(max_size=80), LONGS, max_size=5),
    tail=st.none() | st.text(max_size=100),
    pair=st.tuples(st.floats(allow_nan=False), st.floats(allow_nan=False)),
)
def test_every_kind_is_written_as_fastavro_writes_it(
    *,
    flag: bool,
    small: float,
    data: bytes,
    colour: str,
    counts: dict[str, int],
    tail: str | None,
    pair: tuple[float, float],
) -> None:
    """Booleans, floats, bytes, enums, maps, a union with null second; a positional record."""
    schema = parse_schema(KINDS)
    write = BinaryWriters(schema["__named_schemas"], frozenset({"test.Pair"})).writer("test.Kinds")
    value = {"flag": flag, "small": small, "data": data, "colour": colour, "counts": counts}
    expected = value | {"pair": dict(zip("ab", pair, strict=True))}
    if tail is not None:
        value["tail"] = expected["tail"] = tail  # left out: the default, "x"
    out = bytearray()
    write(out, value | {"pair": list(pair)})
    assert bytes(out) == fastavro_bytes(schema, expected | {"tail": expected.get("tail", "x")})


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"flag": True, "small": 1.0, "data": b"", "colour": "R", "counts": {}}, KeyError),
        ({"unknown": 1}, ValueError),
        ([], TypeError),
    ],
)
def test_a_misfit_raises(value: Any, error: type[Exception]) -> None:
    """The codec then takes the schema walk, which names the field (test_avro)."""
    schema = parse_schema(KINDS)
    write = BinaryWriters(schema["__named_schemas"], frozenset()).writer("test.Kinds")
    with pytest.raises(error):
        write(bytearray(), value)


def test_a_long_out_of_range_is_refused() -> None:
    write = BinaryWriters({}, frozenset()).writer("long")
    with pytest.raises(OverflowError):
        write(bytearray(), 2**63)
