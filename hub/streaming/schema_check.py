"""Guards the published Avro contract: compatibility by the Avro spec, and every version kept.

Why our own checker: the stream has no schema registry (each value names its writer schema by
fingerprint, see `hub.streaming.avro`), so the contract is guarded here, in CI and by
`alerthub schema check`, before a schema change is merged. The policy is FULL_TRANSITIVE: the
candidate reads every kept version and every kept version reads the candidate, so producers and
consumers upgrade in any order.
The rules themselves are in `hub.streaming.schema_compat`.

    python -m hub.streaming.schema_check [CANDIDATE.avsc] [--schemas DIR] [--freeze]

checks the candidate (default: the current envelope schema) against every kept version and exits
non-zero on a problem; `--freeze` then keeps the candidate as the next history version, written as
one self-contained file, so that version stays readable whatever later happens to the type files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from fastavro.schema import SchemaParseException, parse_schema

from hub.streaming.avro import (
    ENVELOPE,
    Schema,
    SchemaError,
    history_files,
    read_schema,
    schema_fingerprint,
    schemas_dir,
    standalone_json,
)
from hub.streaming.schema_compat import Names, Resolution


def check(reader: Any, writer: Any) -> list[str]:
    """Problems a reader with schema `reader` has reading data written with `writer` (none = ok)."""
    reader_schema, reader_names = _parse(reader)
    writer_schema, writer_names = _parse(writer)
    root = reader_schema.get("name", "") if isinstance(reader_schema, dict) else ""
    path = str(root).rpartition(".")[2] or "(root)"
    return Resolution(reader_names, writer_names).resolve(reader_schema, writer_schema, path)


def backward(candidate: Any, previous: Any) -> list[str]:
    """Can the candidate read what the previous version wrote? (Consumers may upgrade first.)"""
    return check(candidate, previous)


def forward(candidate: Any, previous: Any) -> list[str]:
    """Can the previous version read what the candidate writes? (Producers may upgrade first.)"""
    return check(previous, candidate)


def full(candidate: Any, previous: Any) -> list[str]:
    """Both directions: producers and consumers may upgrade in any order."""
    return [f"backward: {p}" for p in backward(candidate, previous)] + [
        f"forward: {p}" for p in forward(candidate, previous)
    ]


def full_transitive(candidate: Any, history: Iterable[Any]) -> list[str]:
    """FULL against every kept version; each problem names its version (1 = the oldest)."""
    return [
        f"version {number}: {problem}"
        for number, previous in enumerate(history, start=1)
        for problem in full(candidate, previous)
    ]


def undocumented(schema: Any) -> list[str]:
    """Named types and record fields without a `doc`: the contract is read by other teams."""
    return [f"{where}: no doc" for where, node in _documentable(schema, "") if not node.get("doc")]


def _documentable(schema: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, list):
        for branch in schema:
            yield from _documentable(branch, path)
        return
    if not isinstance(schema, dict):
        return
    if "name" in schema and schema.get("type") in {"record", "enum", "fixed"}:
        path = str(schema["name"])
        yield path, schema
    for field in schema.get("fields", []):
        yield f"{path}.{field['name']}", field
        yield from _documentable(field["type"], f"{path}.{field['name']}")
    for key in ("items", "values", "type"):
        if isinstance(schema.get(key), dict | list):
            yield from _documentable(schema[key], path)


def _parse(schema: Any) -> tuple[Any, Names]:
    """A schema with full names everywhere, and its named types (fastavro does the parsing)."""
    names: dict[str, Any] = {}
    try:
        return parse_schema(schema, names), names
    except (SchemaParseException, ValueError, TypeError, KeyError) as exc:
        raise SchemaError(f"not a valid Avro schema: {exc}") from exc


def freeze(candidate: Schema, directory: Path) -> tuple[Path, bool]:
    """Keep the candidate as the next history version, unless a kept version already is it.

    Returns the file that holds it and whether it was written now.
    """
    fingerprint = schema_fingerprint(candidate)
    kept = history_files(directory, candidate["name"])
    for path in kept:
        if schema_fingerprint(read_schema(path)) == fingerprint:
            return path, False
    number = int(kept[-1].stem) + 1 if kept else 1
    path = directory / "history" / candidate["name"] / f"{number:04d}.avsc"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(standalone_json(candidate), encoding="utf-8")
    if schema_fingerprint(read_schema(path)) != fingerprint:
        path.unlink()
        raise SchemaError(f"the copy written to {path} does not reproduce the fingerprint")
    return path, True


def report(candidate_path: Path, directory: Path, out: TextIO) -> int:
    """Writes the check of one candidate against the kept versions; the number of problems."""
    candidate = read_schema(candidate_path)
    fingerprint = schema_fingerprint(candidate).hex()
    out.write(f"candidate {candidate_path}: {candidate['name']}, fingerprint {fingerprint}\n")
    problems = undocumented(candidate)
    _write_problems("documentation", problems, out)
    kept = history_files(directory, candidate["name"])
    for path in kept:
        found = full(candidate, read_schema(path))
        _write_problems(f"{path.relative_to(directory)}", found, out)
        problems += found
    verdict = "ok" if not problems else f"{len(problems)} problem(s)"
    out.write(f"FULL_TRANSITIVE against {len(kept)} kept version(s): {verdict}\n")
    return len(problems)


def _write_problems(subject: str, problems: list[str], out: TextIO) -> None:
    out.write(f"  {subject}: {'ok' if not problems else 'INCOMPATIBLE'}\n")
    for problem in problems:
        out.write(f"    - {problem}\n")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hub.streaming.schema_check",
        description="Check an Avro schema against every kept version (FULL_TRANSITIVE).",
    )
    parser.add_argument("candidate", nargs="?", type=Path, help="default: the current envelope")
    parser.add_argument("--schemas", type=Path, help="the schemas folder (default: the package's)")
    parser.add_argument(
        "--freeze", action="store_true", help="if compatible, keep it as the next history version"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status 0 when compatible, 1 on incompatibility, 2 when a schema cannot be loaded."""
    args = _arguments(argv)
    directory: Path = args.schemas or schemas_dir()
    candidate_path: Path = args.candidate or directory / f"{ENVELOPE}.avsc"
    try:
        if report(candidate_path, directory, sys.stdout):
            return 1
        if args.freeze:
            path, written = freeze(read_schema(candidate_path), directory)
            sys.stdout.write(f"{'kept as' if written else 'already kept as'} {path}\n")
    except SchemaError as exc:
        sys.stdout.write(f"error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
