"""Query parameter types shared by the routes, bounded so no value reaches a query as a crash."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # leaves room for the arithmetic done on a moment


def _in_range(value: datetime) -> datetime:
    """A moment every query can compare and shift: year 1 or 9999 with an offset overflows UTC."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the range of representable moments") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _text_not_number(value: object) -> object:
    """A moment is ISO 8601 text: a bare number, which pydantic would read as epoch seconds, is
    refused, as the OpenAPI document (`format: date-time`) promises."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("expected an ISO 8601 date-time with an offset, not a number")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_text_not_number), AfterValidator(_in_range)]
# The range, stated where clients and fuzzers read it: years 1900 to 8999.
MOMENT_PATTERN = r"^(19[0-9]{2}|[2-8][0-9]{3})-"
AsOf = Annotated[
    Moment | None,
    Query(
        description="state as recorded at that moment (ISO 8601, years 1900-8999)",
        json_schema_extra={"pattern": MOMENT_PATTERN},
    ),
]

# Paging, the same on every list: `limit` items, from the cursor a previous page's `next` gave.
Limit = Annotated[int, Query(ge=1, le=1000, description="items per page")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="the `next` of the page before; absent: the first page"),
]
