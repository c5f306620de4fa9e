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
from hub.avro import ENVELOPE, AvroCodec, SchemaError, history_files, read_schema, schemas_dir
from hub.schema_check import backward, check, forward, full, full_transitive, main
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
    assert history, "no kept version: run `python -m hub.schema_check --freeze`"
    assert full_transitive(current, history) == []


def test_cli_passes_on_the_current_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m hub.schema_check` with no argument: current vs history, exit 0."""
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "FULL_TRANSITIVE against" in out
    assert ": ok\n" in out


OPTIONAL = {"name": "tenant", "type": ["null", "string"], "default": None, "doc": "Whose."}


@pytest.mark.parametrize(
    ("added", "status", "says"),
    [
        (OPTIONAL, 0, "history/alerthub.v1.AlertEvent/0001.avsc: ok"),
        (OPTIONAL | {"type": "string", "default": "nl"}, 0, "FULL_TRANSITIVE against"),
        (
            OPTIONAL | {"type": "string"} if False else {"name": "t", "type": "string", "doc": "."},
            1,
            "backward: AlertEvent.t: reader field is missing in the writer and has no default",
        ),
        ({k: v for k, v in OPTIONAL.items() if k != "doc"}, 1, "alerthub.v1.AlertEvent.tenant: no doc"),
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
    assert main(["--schemas", str(schemas), "--freeze"]) == 0
    assert "kept as" in capsys.readouterr().out
    assert [p.name for p in history_files(schemas)] == ["0001.avsc", "0002.avsc"]
    assert main(["--schemas", str(schemas), "--freeze"]) == 0
    assert "already kept as" in capsys.readouterr().out
    assert len(history_files(schemas)) == 2


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


def test_adding_a_field_with_a_default_is_fully_compatible() -> None:
    v2 = record("R", field("a", "int"), field("b", "string", default="x"))
    assert full(v2, V1) == []


def test_adding_a_field_without_a_default_breaks_backward() -> None:
    v2 = record("R", field("a", "int"), field("b", "string"))
    assert backward(v2, V1) == ["R.b: reader field is missing in the writer and has no default"]
    assert forward(v2, V1) == []


def test_removing_a_field_breaks_forward_unless_it_had_a_default() -> None:
    v0 = record("R", field("a", "int"), field("gone", "string"))
    assert backward(V1, v0) == []
    assert forward(V1, v0) == ["R.gone: reader field is missing in the writer and has no default"]
    v0_default = record("R", field("a", "int"), field("gone", "string", default=""))
    assert full(V1, v0_default) == []


def test_enum_symbol_added_breaks_forward_without_a_reader_default() -> None:
    old = record("R", field("c", enum(["Red", "Green"])))
    new = record("R", field("c", enum(["Red", "Green", "Blue"])))
    assert backward(new, old) == []
    assert forward(new, old) == [
        "R.c: writer symbols ['Blue'] are not in reader enum Colour (no default)"
    ]


def test_enum_symbol_added_is_full_when_readers_have_a_default() -> None:
    old = record("R", field("c", enum(["Red", "Other"], default="Other")))
    new = record("R", field("c", enum(["Red", "Blue", "Other"], default="Other")))
    assert full(new, old) == []


def test_enum_symbol_removed_breaks_backward_without_a_default() -> None:
    old = record("R", field("c", enum(["Red", "Green"])))
    new = record("R", field("c", enum(["Red"])))
    assert backward(new, old) == [
        "R.c: writer symbols ['Green'] are not in reader enum Colour (no default)"
    ]
    assert forward(new, old) == []


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


def test_int_to_long_is_backward_but_not_forward() -> None:
    v2 = record("R", field("a", "long"))
    assert backward(v2, V1) == []
    assert forward(v2, V1) == ["R.a: writer long cannot be read as int"]


def test_union_branch_added_breaks_forward_only() -> None:
    old = record("R", field("u", ["null", "string"]))
    new = record("R", field("u", ["null", "string", "int"]))
    assert backward(new, old) == []
    assert forward(new, old) == ["R.u<int>: writer int matches no branch of reader [null, string]"]


def test_union_and_non_union() -> None:
    """A value becoming optional is backward; its null branch cannot be read by old readers."""
    old = record("R", field("u", "string"))
    new = record("R", field("u", ["null", "string"], default=None))
    assert backward(new, old) == []
    assert forward(new, old) == ["R.u<null>: writer null cannot be read as string"]


def test_union_branch_read_through_a_promotion() -> None:
    assert check(["null", "long"], ["null", "int"]) == []


def test_renamed_record_needs_an_alias() -> None:
    old = record("Old", field("a", "int"), namespace="x")
    renamed = record("New", field("a", "int"), namespace="x")
    aliased = record("New", field("a", "int"), namespace="x", aliases=["Old"])
    assert check(renamed, old) == ["New: writer x.Old is not reader x.New nor an alias"]
    assert check(aliased, old) == []
    assert check(record("New", field("a", "int"), aliases=["x.Old"]), old) == []


def test_renamed_field_with_an_alias() -> None:
    renamed = record("R", field("b", "int", aliases=["a"]))
    assert full(renamed, V1) == [
        "forward: R.a: reader field is missing in the writer and has no default"
    ]
    assert backward(renamed, V1) == []


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
    (V1, record("R", field("a", "int"), field("b", "string", default="x")), {"a": 1}),
    (record("R", field("a", "int"), field("gone", "string")), V1, {"a": 1, "gone": "g"}),
    (V1, record("R", field("a", "long")), {"a": 7}),
    (
        record("R", field("c", enum(["Red", "Blue"]))),
        record("R", field("c", enum(["Red", "Other"], default="Other"))),
        {"c": "Blue"},
    ),
    (
        record("R", field("u", ["null", "string"])),
        record("R", field("u", ["null", "string", "int"])),
        {"u": "s"},
    ),
    (
        record("Old", field("a", "int")),
        record("New", field("b", "int", aliases=["a"]), aliases=["Old"]),
        {"a": 3},
    ),
]
"""(writer, reader, datum) triples the checker accepts."""

INCOMPATIBLE = [
    (V1, record("R", field("a", "int"), field("b", "string")), {"a": 1}),
    (record("R", field("a", "long")), V1, {"a": 1}),
    (record("R", field("a", "string")), record("R", field("a", "int")), {"a": "x"}),
]
"""(writer, reader, datum) triples the checker refuses."""


@pytest.mark.parametrize(("writer", "reader", "datum"), COMPATIBLE)
def test_compatible_pairs_really_read(writer: Any, reader: Any, datum: Any) -> None:
    """What the checker accepts, fastavro resolves: data written with the writer reads."""
    assert check(reader, writer) == []
    read_back = roundtrip(writer, reader, datum)
    assert isinstance(read_back, dict)


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
