"""Schema compatibility: the published contract holds, and the checker follows the Avro spec."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from domain.alert import Alert
from hub.streaming.avro import (
    ENVELOPE,
    AvroCodec,
    SchemaError,
    history_files,
    read_schema,
    schemas_dir,
)
from hub.streaming.schema_check import backward, check, forward, full, full_transitive, main
from tests.factories import cap, message

SCHEMAS = schemas_dir()


def record(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(symbols: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "Colour", "symbols": symbols, **extra}


V1 = record("R", field("a", "int"))


# --- the published contract ---------------------------------------------------------------


def test_current_schema_is_full_transitive_with_every_kept_version() -> None:
    """Producers and consumers of any kept version read each other."""
    current = read_schema(SCHEMAS / f"{ENVELOPE}.avsc")
    history = [read_schema(path) for path in history_files(SCHEMAS)]
    assert history, "no kept version: run `python -m hub.streaming.schema_check --freeze`"
    assert full_transitive(current, history) == []


def test_cli_passes_on_the_current_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m hub.streaming.schema_check` with no argument: current vs history, exit 0."""
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "documentation: ok" in out  # every record, enum and field has a doc
    assert "kept version(s): ok" in out


OPTIONAL = {"name": "tenant", "type": ["null", "string"], "default": None, "doc": "Whose."}


@pytest.mark.parametrize(
    ("added", "status", "says"),
    [
        (OPTIONAL, 0, "history/alerthub.v1.AlertEvent/0001.avsc: ok"),
        (
            {"name": "t", "type": "string", "doc": "A required field."},
            1,
            "backward: AlertEvent.t: reader field is missing in the writer and has no default",
        ),
        (
            {k: v for k, v in OPTIONAL.items() if k != "doc"},
            1,
            "alerthub.v1.AlertEvent.tenant: no doc",
        ),
    ],
)
def test_cli_checks_a_candidate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], added: Any, status: int, says: str
) -> None:
    """Exit 0 when compatible and documented, 1 otherwise, with the problem's path in the report."""
    assert main(["--schemas", str(schemas_with(tmp_path, added))]) == status
    assert says in capsys.readouterr().out


def test_cli_freezes_a_compatible_candidate_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--freeze keeps a new compatible version as the next self-contained history file."""
    schemas = schemas_with(tmp_path, OPTIONAL)
    kept = [p.name for p in history_files(schemas)]
    assert main(["--schemas", str(schemas), "--freeze"]) == 0
    assert "kept as" in capsys.readouterr().out
    assert [p.name for p in history_files(schemas)] == [*kept, f"{len(kept) + 1:04d}.avsc"]
    assert main(["--schemas", str(schemas), "--freeze"]) == 0
    assert "already kept as" in capsys.readouterr().out
    assert len(history_files(schemas)) == len(kept) + 1


def test_cli_reports_a_broken_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schema that does not load is exit 2 with the reason, not a traceback."""
    broken = tmp_path / "broken.avsc"
    broken.write_text('{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}')
    assert main([str(broken), "--schemas", str(SCHEMAS)]) == 2
    assert "error:" in capsys.readouterr().out


def schemas_with(tmp_path: Path, added: dict[str, Any]) -> Path:
    """A copy of the schemas folder whose envelope has one more field."""
    directory = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    envelope = directory / f"{ENVELOPE}.avsc"
    candidate = json.loads(envelope.read_text())
    candidate["fields"].append(added)
    envelope.write_text(json.dumps(candidate))
    return directory


# --- the checker's rules -------------------------------------------------------------------


MISSING = "reader field is missing in the writer and has no default"
A = field("a", "int")
OPTIONAL_U = record("R", field("u", ["null", "string"]))


def r(*fields: dict[str, Any]) -> dict[str, Any]:
    """Record R with these fields: the rows below compare versions of one record."""
    return record("R", *fields)


def colours(*symbols: str, **extra: Any) -> dict[str, Any]:
    return r(field("c", enum(list(symbols), **extra)))


EVOLUTIONS = [
    ("field added with a default", V1, r(A, field("b", "int", default=0)), [], []),
    ("field added without a default", V1, r(A, field("b", "int")), [f"R.b: {MISSING}"], []),
    ("field removed", r(A, field("gone", "int")), V1, [], [f"R.gone: {MISSING}"]),
    ("field with a default removed", r(A, field("gone", "int", default=0)), V1, [], []),
    ("field renamed, old name an alias", V1, r(field("b", "int", aliases=["a"])), [],
     [f"R.a: {MISSING}"]),
    ("int promoted to long", V1, r(field("a", "long")), [],
     ["R.a: writer long cannot be read as int"]),
    ("enum symbol added, no default", colours("Red", "Green"), colours("Red", "Green", "Blue"), [],
     ["R.c: writer symbols ['Blue'] are not in reader enum Colour (no default)"]),
    ("enum symbol added, with a default", colours("Red", "Other", default="Other"),
     colours("Red", "Blue", "Other", default="Other"), [], []),
    ("enum symbol removed", colours("Red", "Green"), colours("Red"),
     ["R.c: writer symbols ['Green'] are not in reader enum Colour (no default)"], []),
    ("union branch added", OPTIONAL_U, r(field("u", ["null", "string", "int"])), [],
     ["R.u<int>: writer int matches no branch of reader [null, string]"]),
    ("value made optional", r(field("u", "string")), OPTIONAL_U, [],
     ["R.u<null>: writer null cannot be read as string"]),
    ("union branch promoted", r(field("u", ["null", "int"])), r(field("u", ["null", "long"])), [],
     ["R.u<long>: writer long matches no branch of reader [null, int]"]),
]  # fmt: skip
"""(what changed, old, new, backward problems, forward problems)."""


@pytest.mark.parametrize(
    ("old", "new", "backward_problems", "forward_problems"),
    [pytest.param(*rest, id=name) for name, *rest in EVOLUTIONS],
)
def test_evolutions(old: Any, new: Any, backward_problems: Any, forward_problems: Any) -> None:
    """Backward: the new schema reads old data; forward: the old schema reads new data."""
    assert backward(new, old) == backward_problems
    assert forward(new, old) == forward_problems
    assert full(new, old) == [f"backward: {p}" for p in backward_problems] + [
        f"forward: {p}" for p in forward_problems
    ]


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("int", "long"), ("int", "double"), ("long", "float"), ("float", "double"),
     ("string", "bytes"), ("bytes", "string")],
)  # fmt: skip
def test_promotions_are_read(writer: str, reader: str) -> None:
    assert check(reader, writer) == []


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("long", "int"), ("double", "float"), ("string", "int"), ("boolean", "int"), ("null", "int")],
)
def test_narrowing_and_unrelated_types_are_refused(writer: str, reader: str) -> None:
    assert check(reader, writer) == [f"(root): writer {writer} cannot be read as {reader}"]


def test_renamed_record_needs_an_alias() -> None:
    old = record("Old", field("a", "int"), namespace="x")
    renamed = record("New", field("a", "int"), namespace="x")
    aliased = record("New", field("a", "int"), namespace="x", aliases=["Old"])
    assert check(renamed, old) == ["New: writer x.Old is not reader x.New nor an alias"]
    assert check(aliased, old) == []
    assert check(record("New", field("a", "int"), aliases=["x.Old"]), old) == []


def test_problems_carry_the_path() -> None:
    inner = record("Inner", field("x", "int"))
    writer = record("Outer", field("items", {"type": "array", "items": inner}))
    reader = record(
        "Outer",
        field("items", {"type": "array", "items": record("Inner", field("x", "boolean"))}),
    )
    assert check(reader, writer) == ["Outer.items[].x: writer int cannot be read as boolean"]


def test_maps_and_fixed() -> None:
    assert check({"type": "map", "values": "long"}, {"type": "map", "values": "int"}) == []
    small = {"type": "fixed", "name": "Hash", "size": 16}
    large = {"type": "fixed", "name": "Hash", "size": 32}
    assert check(large, small) == ["Hash: fixed Hash of size 16 read as size 32"]


def test_recursive_types_terminate() -> None:
    node = record("Node", field("value", "int"), field("next", ["null", "Node"], default=None))
    wider = record("Node", field("value", "long"), field("next", ["null", "Node"], default=None))
    assert full(node, node) == []
    assert backward(wider, node) == []
    assert forward(wider, node) == ["Node.value: writer long cannot be read as int"]


def test_logical_types_resolve_as_their_underlying_type() -> None:
    uuid = {"type": "string", "logicalType": "uuid"}
    assert full(record("R", field("id", uuid)), record("R", field("id", "string"))) == []


def test_an_invalid_schema_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="not a valid Avro schema"):
        check(record("R", field("a", "nope")), V1)


# --- the checker agrees with a real decoder ------------------------------------------------

COMPATIBLE = [
    (V1, r(A, field("b", "string", default="x")), {"a": 1}, {"a": 1, "b": "x"}),
    (r(A, field("gone", "string")), V1, {"a": 1, "gone": "g"}, {"a": 1}),
    (V1, r(field("a", ["null", "long"])), {"a": 1}, {"a": 1}),
    (V1, record("New", field("b", "int", aliases=["a"]), aliases=["R"]), {"a": 1}, {"b": 1}),
    (
        colours("Red", "Blue"),
        colours("Red", "Other", default="Other"),
        {"c": "Blue"},
        {"c": "Other"},
    ),
]
"""(writer, reader, datum written, datum read) where the checker finds no problem."""

INCOMPATIBLE = [
    (V1, r(A, field("b", "string")), {"a": 1}),
    (r(field("a", "long")), V1, {"a": 1}),
    (r(field("a", "string")), V1, {"a": "x"}),
    (V1, record("New", A), {"a": 1}),
]
"""(writer, reader, datum written) where the checker finds a problem."""


@pytest.mark.parametrize(("writer", "reader", "datum", "seen"), COMPATIBLE)
def test_compatible_pairs_really_read(writer: Any, reader: Any, datum: Any, seen: Any) -> None:
    """What the checker accepts, fastavro resolves, and the reader sees what the spec says."""
    assert check(reader, writer) == []
    assert roundtrip(writer, reader, datum) == seen


@pytest.mark.parametrize(("writer", "reader", "datum"), INCOMPATIBLE)
def test_incompatible_pairs_really_fail(writer: Any, reader: Any, datum: Any) -> None:
    """What the checker refuses, fastavro cannot resolve either."""
    assert check(reader, writer) != []
    with pytest.raises(SchemaResolutionError):
        roundtrip(writer, reader, datum)


def test_the_envelope_evolves_as_the_checker_says() -> None:
    """A real evolution of the envelope: old bytes read with the new schema, and back."""
    current = read_schema(SCHEMAS / f"{ENVELOPE}.avsc")
    evolved = json.loads(json.dumps({k: v for k, v in current.items() if not k.startswith("__")}))
    evolved["fields"].append({"name": "tenant", "type": ["null", "string"], "default": None})
    assert full(evolved, current) == []
    sample = envelope_record()
    assert roundtrip(current, evolved, sample)["tenant"] is None
    assert "tenant" not in roundtrip(evolved, current, sample | {"tenant": "nl"})


def roundtrip(writer: Any, reader: Any, datum: Any) -> Any:
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(writer), datum)
    buffer.seek(0)
    return schemaless_reader(buffer, parse_schema(writer), parse_schema(reader))


def envelope_record() -> dict[str, Any]:
    """A real envelope record, as the codec hands it to fastavro."""
    event = Alert.start(uuid4(), cap(message())).collect_events()[0]
    return AvroCodec().to_record(event)
