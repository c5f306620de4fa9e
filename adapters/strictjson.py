"""Strict JSON for every JSON channel: one definition of what the hub accepts as JSON.

UTF-8 only (a byte-order mark is tolerated), no NaN or Infinity, no key twice in one object
(`{"id": 1, "id": 2}` means two different things to two parsers), a bounded size and depth.
Every refusal is a `MalformedMessageError` (HTTP 400) or `PayloadTooLargeError` (413) at `root`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domain.errors import MalformedMessageError, PayloadTooLargeError

MAX_BYTES = 8 * 1024 * 1024


def load_json(
    body: bytes,
    *,
    root: str = "$",
    max_bytes: int = MAX_BYTES,
    parse_int: Callable[[str], Any] | None = None,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """The JSON document in `body`; number hooks let a channel name an unusable number's field."""
    if len(body) > max_bytes:
        raise PayloadTooLargeError(
            f"body is {len(body)} bytes; the limit is {max_bytes}", location=root
        )
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedMessageError(
            f"not UTF-8: byte {body[exc.start]:#04x} at offset {exc.start}", location=root
        ) from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=parse_int,
            parse_float=parse_float,
            parse_constant=parse_constant or _refuse_constant,
        )
    except RecursionError:
        raise MalformedMessageError("JSON nested too deeply", location=root) from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise MalformedMessageError(f"malformed JSON: {exc}", location=root) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
