"""Keyset paging: every list is read one page at a time, in a fixed order, from a cursor.

A cursor is opaque to clients: URL-safe base64 of a JSON array holding the sort key of the last
item of the page before (for example `[sent, alert_id]`). The next page is the rows strictly after
that key in the list's order, found through the list's index, so page N costs what page 1 costs;
an offset would make the database walk past every earlier row. A list answers
`{"items": [...], "next": "<cursor>" | null}`; `null` means this was the last page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import InvalidQueryError

T = TypeVar("T")
Key = list[str | int]
MAX_CURSOR = 512  # characters; a cursor is a short sort key, never more


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None = None


def encode(key: Sequence[str | int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode(cursor: str | None, arity: int) -> Key | None:
    """The sort key a cursor names; a cursor this hub did not hand out is a 400, never a crash."""
    if cursor is None:
        return None
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError("too long")
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQueryError(f"cursor: not a cursor this hub handed out ({exc})") from None
    if not (
        isinstance(key, list)
        and len(key) == arity
        and all(isinstance(v, str | int) and not isinstance(v, bool) for v in key)
    ):
        raise InvalidQueryError("cursor: not a cursor of this list")
    return key


def page_of(rows: list[T], limit: int, key: Callable[[T], Sequence[str | int]]) -> Page[T]:
    """A page from up to `limit + 1` rows read: the extra row only says a next page exists."""
    if len(rows) <= limit:
        return Page(rows)
    return Page(rows[:limit], encode(key(rows[limit - 1])))


def newest_first(key: Key | None, alias: str = "") -> tuple[str, list[str | int], str]:
    """The order every alert list shares (newest `sent` first, then alert id): the SQL that
    keeps the rows strictly past a cursor's `(sent, alert_id)`, its parameters, and ORDER BY."""
    sent, alert_id = f"{alias}sent", f"{alias}alert_id"
    order = f"ORDER BY {sent} DESC, {alert_id}"
    if key is None:
        return "1=1", [], order
    return f"({sent} < ? OR ({sent} = ? AND {alert_id} > ?))", [key[0], key[0], key[1]], order
