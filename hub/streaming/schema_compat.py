"""The Avro specification's schema-resolution rules, as a comparison that lists every problem.

`Resolution.resolve(reader, writer, path)` answers "can a reader with this schema read data
written with that one?" and says where it cannot, rather than failing at the first problem as a
decoder would. The rules (Avro spec, "Schema Resolution"):

- records match by unqualified name or a reader alias; fields by name or a reader field's alias;
  a reader field missing in the writer needs a default; writer fields the reader lacks are skipped;
- enums: every writer symbol must be a reader symbol, unless the reader has a default;
- fixed: same name and size; arrays and maps by their items and values;
- unions: every writer branch must resolve to some reader branch (a non-union is one branch);
- primitives: the same type, or a promotion int→long→float→double, string↔bytes; a logical type
  resolves as its underlying type.

Schemas come in parsed by fastavro (full names everywhere, named types in a `Names` table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Names = Mapping[str, Any]
"""Named types (record, enum, fixed) by full name."""

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
COMPLEX = frozenset({"record", "enum", "fixed", "array", "map"})
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
"""Writer type → the reader types that read it (Avro spec, "Schema Resolution")."""


def deref(schema: Any, names: Names) -> Any:
    """A primitive's name, a union (list), or a complex type's definition, however referred to."""
    while True:
        if isinstance(schema, str):
            if schema not in names:
                return schema
            schema = names[schema]
        elif isinstance(schema, dict) and schema.get("type") not in COMPLEX:
            schema = schema["type"]  # a logical type, or a wrapped reference
        else:
            return schema


def label(schema: Any) -> str:
    """A short human name of a schema, for problem messages."""
    if isinstance(schema, list):
        return "[" + ", ".join(label(branch) for branch in schema) + "]"
    if isinstance(schema, str):
        return schema
    if "name" in schema:
        return str(schema["name"])
    if schema.get("type") == "array":
        return f"array<{label(schema['items'])}>"
    if schema.get("type") == "map":
        return f"map<{label(schema['values'])}>"
    return label(schema["type"])


class Resolution:
    """One reader/writer comparison; remembers record pairs in progress, for recursive types."""

    def __init__(self, reader_names: Names, writer_names: Names) -> None:
        self._reader_names = reader_names
        self._writer_names = writer_names
        self._in_progress: set[tuple[str, str]] = set()

    def resolve(self, reader: Any, writer: Any, path: str) -> list[str]:
        """Problems reading `writer` data with `reader` at `path` (empty when it resolves)."""
        reader = deref(reader, self._reader_names)
        writer = deref(writer, self._writer_names)
        if isinstance(writer, list):
            return [
                problem
                for branch in writer
                for problem in self.resolve(reader, branch, f"{path}<{label(branch)}>")
            ]
        if isinstance(reader, list):
            if any(not self.resolve(branch, writer, path) for branch in reader):
                return []
            return [f"{path}: writer {label(writer)} matches no branch of reader {label(reader)}"]
        if isinstance(reader, str) or isinstance(writer, str):
            return _primitive(reader, writer, path)
        if reader["type"] != writer["type"]:
            return [f"{path}: writer {label(writer)} cannot be read as {label(reader)}"]
        return self._complex(reader, writer, path)

    def _complex(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> list[str]:
        kind = reader["type"]
        if kind == "array":
            return self.resolve(reader["items"], writer["items"], f"{path}[]")
        if kind == "map":
            return self.resolve(reader["values"], writer["values"], f"{path}{{}}")
        if not same_name(reader, writer):
            return [f"{path}: writer {writer['name']} is not reader {reader['name']} nor an alias"]
        if kind == "fixed":
            return _fixed(reader, writer, path)
        if kind == "enum":
            return _enum(reader, writer, path)
        return self._record(reader, writer, path)

    def _record(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> list[str]:
        pair = (reader["name"], writer["name"])
        if pair in self._in_progress:
            return []
        self._in_progress.add(pair)
        try:
            return [p for field in reader["fields"] for p in self._field(field, writer, path)]
        finally:
            self._in_progress.discard(pair)

    def _field(self, field: dict[str, Any], writer: dict[str, Any], path: str) -> list[str]:
        names = [field["name"], *field.get("aliases", [])]
        found = next((f for name in names for f in writer["fields"] if f["name"] == name), None)
        where = f"{path}.{field['name']}"
        if found is not None:
            return self.resolve(field["type"], found["type"], where)
        if "default" in field:
            return []
        return [f"{where}: reader field is missing in the writer and has no default"]


def same_name(reader: Mapping[str, Any], writer: Mapping[str, Any]) -> bool:
    """Unqualified names equal (Avro spec), or the writer's full name is a reader alias."""
    if reader["name"].rpartition(".")[2] == writer["name"].rpartition(".")[2]:
        return True
    namespace = reader["name"].rpartition(".")[0]
    aliases = {a if "." in a else f"{namespace}.{a}".lstrip(".") for a in reader.get("aliases", [])}
    return writer["name"] in aliases


def _primitive(reader: Any, writer: Any, path: str) -> list[str]:
    """At least one side is a primitive: equal, or the writer's type promotes to the reader's."""
    if isinstance(writer, str) and (reader == writer or reader in PROMOTIONS.get(writer, ())):
        return []
    return [f"{path}: writer {label(writer)} cannot be read as {label(reader)}"]


def _fixed(reader: Mapping[str, Any], writer: Mapping[str, Any], path: str) -> list[str]:
    if reader["size"] == writer["size"]:
        return []
    return [
        f"{path}: fixed {reader['name']} of size {writer['size']} read as size {reader['size']}"
    ]


def _enum(reader: Mapping[str, Any], writer: Mapping[str, Any], path: str) -> list[str]:
    unknown = [s for s in writer["symbols"] if s not in reader["symbols"]]
    if not unknown or reader.get("default") is not None:
        return []
    return [
        f"{path}: writer symbols {unknown} are not in reader enum {reader['name']} (no default)"
    ]
