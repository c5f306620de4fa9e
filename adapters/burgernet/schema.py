"""Pydantic models of the Burgernet actions feed (v2), as the partner sends it.

No official schema was found; the field names come from consumer code of
`.../burgernet-api/v2/actions`. Unknown extra fields are accepted and ignored (the feed may grow);
every field the hub uses is validated strictly (no string-for-number or number-for-bool coercion),
and bounded so the canonical message built from it can never fail validation later.

Epoch times arrive in seconds or milliseconds. The rule: a value below 10^11 is seconds, from
10^11 on it is milliseconds. 10^11 s is the year 5138 and 10^11 ms is March 1973, so no plausible
time is ambiguous. Any time outside 2000-01-01 .. 2100-01-01 (in its unit) is refused as absurd.
The original number is kept, so rendering restores the partner's own form.

The body itself must be strict JSON (`load_json`): UTF-8, no NaN/Infinity, no key twice in one
object (which value would count?), bounded in size and nesting.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator
from pydantic.alias_generators import to_camel

from adapters.strictjson import load_json as strict_load_json

MAX_BYTES = 8 * 1024 * 1024
MS_FROM = 10**11
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_BOUNDS_S = (int((EARLIEST - EPOCH).total_seconds()), int((LATEST - EPOCH).total_seconds()))
_BOUNDS_MS = (_BOUNDS_S[0] * 1000, _BOUNDS_S[1] * 1000)
NOT_SET = 0  # an endTimestamp of 0 is read as "no end yet" (a common default of Java longs)
MAX_RADIUS_M = 20_037_500  # half the Earth's circumference, the canonical circle's maximum

# Text the hub can store, hash and render anywhere (CAP XML included): no C0 controls besides
# tab/newline/return, no unpaired surrogates, no non-characters.
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_URL = re.compile(r"https?://\S+")


def is_milliseconds(raw: int) -> bool:
    return raw >= MS_FROM


def epoch_to_datetime(raw: int) -> datetime:
    """The moment an (already validated) epoch number means, exactly (no float rounding)."""
    if is_milliseconds(raw):
        return EPOCH + timedelta(milliseconds=raw)
    return EPOCH + timedelta(seconds=raw)


def _epoch(raw: int) -> int:
    low, high = _BOUNDS_MS if is_milliseconds(raw) else _BOUNDS_S
    if not low <= raw < high:
        unit = "milliseconds" if is_milliseconds(raw) else "seconds"
        raise ValueError(f"epoch time in {unit} must fall in the years 2000-2099")
    return raw


def _end_epoch(raw: int) -> int:
    return raw if raw == NOT_SET else _epoch(raw)


def _text(value: str) -> str:
    if _UNSAFE_TEXT.search(value):
        raise ValueError("must not contain control characters or unpaired surrogates")
    return value


def _url(value: str) -> str:
    if value and not _URL.fullmatch(value):
        raise ValueError("must be an absolute http(s) URL without spaces (or empty)")
    return value


def _identifier(value: object) -> int | str:
    """Action ids (and speech ids) are strings or integers; their JSON type is kept."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        if not 0 <= value < 10**18:
            raise ValueError("must be an integer from 0 to 10^18")
    elif not _ID.fullmatch(value):
        raise ValueError("must be 1-100 letters, digits, '.', '_' or '-', starting alphanumeric")
    return value


Epoch = Annotated[int, AfterValidator(_epoch)]
EndEpoch = Annotated[int, AfterValidator(_end_epoch)]
Text = Annotated[str, Field(min_length=1, max_length=65_536), AfterValidator(_text)]
Name = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_text)]
Url = Annotated[str, Field(max_length=4096), AfterValidator(_url)]
Identifier = Annotated[int | str, PlainValidator(_identifier)]


class Native(BaseModel):
    """Strict about the fields it names, tolerant of fields it does not (ignored)."""

    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        frozen=True,
        allow_inf_nan=False,
        alias_generator=to_camel,
        populate_by_name=True,
    )


class Area(Native):
    """The circle the control room draws around the incident; radius in metres."""

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius: float = Field(ge=0, le=MAX_RADIUS_M)


class Message(Native):
    """One message sent during an action (start, update, result)."""

    title: Text
    body: Text
    response_url: Url | None = None
    message_type: Name | None = None
    last_modified_timestamp: Epoch | None = None
    speech_id: Identifier | None = None


class Action(Native):
    """One Burgernet action (an AMBER Alert sent through Burgernet has `amberAlert: true`)."""

    id: Identifier
    municipality: Name
    action_type: Name
    amber_alert: bool
    active: bool
    start_timestamp: Epoch
    end_timestamp: EndEpoch | None = None
    area: Area
    messages: list[Message] = Field(max_length=1000)


class Feed(Native):
    """The whole feed: every action Burgernet currently lists."""

    actions: list[Action] = Field(max_length=10_000)


def load_json(body: bytes) -> object:
    """Strict JSON (adapters.strictjson), bounded to this channel's size."""
    return strict_load_json(body, max_bytes=MAX_BYTES)
