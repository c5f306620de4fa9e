"""Which parts of a canonical message may hold personal data, and how they read without it.

A field is named by a pattern over the message's JSON (`AlertMessage.to_json()`): dotted names,
`[]` for "every item of this list", e.g. `info[].description` or `info[].resources[].uri`. Only
string leaves can be named, and only those in `FIELDS`: the free-text and link elements of CAP,
where a partner writes names, ages, clothing, plates, phone numbers and photo links. Identity,
times, status, category, area geometry and codes are never personal here, so statistics survive
an erasure.

Two markers replace a personal value: `SEALED` where it is stored encrypted elsewhere (the event
store and the stream keep only that, beside the ciphertext), `ERASED` once its key is destroyed.
Both are valid CAP text, so an erased message still validates and renders; links (`web`, a
resource's `uri`/`deref_uri`) are left out instead, because a marker is no URI.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

ERASED = "[personal data erased]"
SEALED = "[encrypted]"

FIELDS: frozenset[str] = frozenset(
    {
        "note",
        "addresses",
        "source",
        "info[].audience",
        "info[].sender_name",
        "info[].headline",
        "info[].description",
        "info[].instruction",
        "info[].contact",
        "info[].web",
        "info[].parameters[].value",
        "info[].resources[].description",
        "info[].resources[].uri",
        "info[].resources[].deref_uri",
        "info[].areas[].description",
    }
)
"""Every pattern a channel may declare personal."""

LINKS = frozenset({"web", "uri", "deref_uri"})
"""Leaves that must stay URIs: left out rather than replaced by a marker."""

Path = tuple[str | int, ...]
"""One concrete leaf, e.g. `("info", 0, "description")`."""
Leaves = Iterable[tuple[Path, str | None]]
"""Leaves with their new values (None: the leaf is left out)."""


def unknown_fields(patterns: Iterable[str]) -> list[str]:
    """The patterns that are not in `FIELDS` (a declaration must name only known fields)."""
    return sorted(set(patterns) - FIELDS)


def locate(message: dict[str, Any], patterns: Iterable[str]) -> list[Path]:
    """Every concrete leaf of `message` matched by a pattern and holding a value, in order."""
    found: list[Path] = []
    for pattern in sorted(set(patterns)):
        steps = pattern.replace("[]", ".[]").split(".")
        found.extend(_walk(message, steps, ()))
    return found


def _walk(node: Any, steps: list[str], at: Path) -> Iterator[Path]:
    if not steps:
        if isinstance(node, str):
            yield at
        return
    step, rest = steps[0], steps[1:]
    if step == "[]":
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from _walk(item, rest, (*at, index))
    elif isinstance(node, dict) and node.get(step) is not None:
        yield from _walk(node[step], rest, (*at, step))


def read(message: dict[str, Any], path: Path) -> Any:
    node: Any = message
    for step in path:
        node = node[step]
    return node


def replace_in(message: dict[str, Any], values: Leaves) -> dict[str, Any]:
    """`message` itself with each leaf set to its value (None: the leaf left out); for a message
    its caller owns (one just decoded), where a copy would be most of the cost."""
    for path, value in values:
        parent = read(message, path[:-1])
        if value is None:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = value
    return message


def replaced(message: dict[str, Any], values: Leaves) -> dict[str, Any]:
    """A copy of `message` with each leaf set to its value (None: the leaf left out)."""
    return replace_in(copy.deepcopy(message), values)


def markers(paths: Iterable[Path], marker: str) -> Leaves:
    """Each leaf's replacement by `marker`; links (which must stay URIs) left out instead."""
    return ((p, None if p[-1] in LINKS else marker) for p in paths)


def marked(message: dict[str, Any], paths: Iterable[Path], marker: str) -> dict[str, Any]:
    """A copy with each leaf replaced by `marker`, links left out."""
    return replaced(message, markers(paths, marker))


def erased(message: dict[str, Any], patterns: Iterable[str]) -> dict[str, Any]:
    """The message as it reads after an erasure of the fields `patterns` name."""
    return marked(message, locate(message, patterns), ERASED)


def path_text(path: Path) -> str:
    """A leaf as text (`info.0.description`), for storage beside the ciphertext."""
    return ".".join(str(step) for step in path)


def parse_path(text: str) -> Path:
    return tuple(int(step) if step.isdigit() else step for step in text.split("."))
