"""NL-Alert feed JSON to canonical commands: one `IssueAlert` per item, plus the snapshot's end.

Mapping (one feed item = one version of one NL-Alert):

* thread `nlalert:<id>` fixes the alert; identifier `nlalert-<id>-<12 hex of sha256>` over the
  item's canonical content, so the same item posted twice is a duplicate and a changed text, area
  or time is a new message; sender `nl-alert.nl`.
* msgType is always Alert: parsing is pure and cannot know what the hub saw before. The thread fixes
  the alert, and the hub turns a second message on a thread into an update.
* sent: see `sent_of`. expires = stop_at (a passed stop_at reads as expired; no event needed);
  effective = start_at.
* status Test for a national test (TESTBERICHT / CONTROLEBERICHT), else Actual; scope Public.
* info: an `nl-NL` block (headline = first Dutch sentence, description = the Dutch part, the full
  original text as parameter `nlalert:message` so rendering is exact) and, when the text has an
  English part, an `en-US` block. Both carry the areas: a CAP consumer reading one language must
  still see where the warning applies. Category and event are derived from the text by
  `classify` (fire, weather, hazardous substances, water, public order, health, test; `Safety` /
  `NL-Alert` when unsure), recorded as derived in parameter `nlalert:classified`. Urgency
  Immediate, severity Severe, certainty Observed: NL-Alert is reserved for life-threatening
  situations happening now.
* A whole feed (`{"data": [...]}`) ends with `EndMissingAlerts`, unless it says it is one page of
  several (`links.next`); a single posted item never ends others.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from adapters.nlalert.classify import Classification, classify
from adapters.nlalert.schema import Feed, FeedItem, UnusableNumber
from adapters.nlalert.text import MessageParts, headline, is_test, split_message
from adapters.problems import Loc, dotted, validated
from adapters.strictjson import load_json as strict_load_json
from domain.commands import EndMissingAlerts, Instruction, IssueAlert
from domain.errors import InvalidMessageError
from domain.model import AlertMessage

CHANNEL = "nlalert"
SENDER = "nl-alert.nl"
PARAMETER = "nlalert:message"
CLASSIFIED = "nlalert:classified"  # what the classifier derived from the text, and why
VANISHED = "no longer in the NL-Alert feed"
MAX_BYTES = 8 * 1024 * 1024
MAX_DIGITS = 64  # longer JSON numbers are kept as text markers, so the error names the field
UNSTAMPED_WINDOW = timedelta(days=1)
_AREA_NAME = {"nl-NL": "NL-Alert uitzendgebied", "en-US": "NL-Alert broadcast area"}


def parse_feed(body: bytes) -> list[Instruction]:
    """A whole feed or one item, as commands; raises only `InvalidMessageError`."""
    raw = load_json(body)
    if not isinstance(raw, dict):
        raise InvalidMessageError(
            'expected a JSON object: the feed {"data": [...]} or one item', location="$"
        )
    if "data" in raw and "id" not in raw:
        feed = validated(Feed, raw)
        _check_unique(feed)
        commands: list[Instruction] = [
            issue(item, f"data[{i}]") for i, item in enumerate(feed.data)
        ]
        if _is_complete(raw):
            present = frozenset(thread_of(item.id) for item in feed.data)
            commands.append(EndMissingAlerts(channel=CHANNEL, present=present, reason=VANISHED))
        return commands
    return [issue(validated(FeedItem, raw), "")]


def load_json(body: bytes) -> object:
    """Strict JSON; an over-long or non-finite number is kept as `UnusableNumber`, so the
    validation error can name its field instead of refusing the whole body."""
    return strict_load_json(
        body,
        max_bytes=MAX_BYTES,
        parse_int=_number(int),
        parse_float=_number(float),
        parse_constant=UnusableNumber,
    )


def _number(kind: type[int] | type[float]) -> Any:
    def convert(text: str) -> object:
        if len(text) > MAX_DIGITS:
            return UnusableNumber(text)
        value = kind(text)
        return value if math.isfinite(value) else UnusableNumber(text)

    return convert


def _check_unique(feed: Feed) -> None:
    seen: dict[str, int] = {}
    for index, item in enumerate(feed.data):
        if item.id in seen:
            raise InvalidMessageError(
                f"id {item.id!r} is listed twice (also at data[{seen[item.id]}])",
                location=f"data[{index}].id",
            )
        seen[item.id] = index


def _is_complete(raw: dict[str, Any]) -> bool:
    """Whether the body is the whole feed; a paginated page with a next page is not."""
    links = raw.get("links")
    return not (isinstance(links, dict) and links.get("next"))


def thread_of(item_id: str) -> str:
    return f"{CHANNEL}:{item_id}"


def sent_of(item: FeedItem, parts: MessageParts) -> datetime:
    """The version's `sent`: `updated_at` if the item has one, else `sent_rule`."""
    if item.updated_at is not None:
        return item.updated_at
    return sent_rule(item.start_at, item.stop_at, parts.issued)


def sent_rule(start_at: datetime, stop_at: datetime | None, issued: datetime | None) -> datetime:
    """Deterministic `sent` for a feed that has no per-version timestamp.

    The text's own `NL-Alert DD-MM-YYYY HH:MM:` time (`issued`) counts when it falls after
    start_at and no later than stop_at (or one day after start_at when open-ended): a re-issued
    text is re-stamped, so a later version gets a later `sent`. Otherwise `sent` is start_at. The
    window keeps a typo in the text (a wrong year) from pushing `sent` so far ahead that every
    later version would read as outdated. Versions with equal `sent` are fine: the hub takes an
    equal `sent` as newer, so an edit without a new stamp still replaces the text.
    """
    end = stop_at or _plus(start_at, UNSTAMPED_WINDOW)
    if issued is not None and start_at < issued <= end:
        return issued
    return start_at


def _plus(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, or `moment` at the end of the calendar (renders of other channels)."""
    try:
        return moment + delta
    except OverflowError:
        return moment


def issue(item: FeedItem, where: str) -> IssueAlert:
    """The command for one item; `where` prefixes error locations (`data[2]`)."""
    if item.stop_at is not None and item.stop_at < item.start_at:
        raise InvalidMessageError(
            "stop_at is before start_at", location=f"{where}.stop_at" if where else "stop_at"
        )
    parts = split_message(item.message)
    sent = sent_of(item, parts)
    data = {
        "identifier": f"nlalert-{item.id}-{content_digest(item, sent)}",
        "sender": SENDER,
        "sent": sent,
        "status": "Test" if is_test(item.message) else "Actual",
        "msg_type": "Alert",
        "scope": "Public",
        "incidents": [thread_of(item.id)],
        "info": _info_blocks(item, parts),
    }

    def spell(loc: Loc) -> str:
        return f"{where or '$'} (canonical {dotted(loc)})"

    message = validated(AlertMessage, data, spell)
    return IssueAlert(channel=CHANNEL, message=message, thread=thread_of(item.id))


def content_digest(item: FeedItem, sent: datetime) -> str:
    """12 hex of sha256 over everything the canonical message is made from, in a fixed form."""
    content = {
        "id": item.id,
        "message": item.message,
        "area": [[list(point) for point in polygon] for polygon in item.area],
        "start_at": item.start_at.isoformat(),
        "stop_at": item.stop_at.isoformat() if item.stop_at else None,
        "sent": sent.isoformat(),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _info_blocks(item: FeedItem, parts: MessageParts) -> list[dict[str, Any]]:
    kind = classify(item.message, test=is_test(item.message))
    derived = {"name": CLASSIFIED, "value": kind.recorded}
    blocks = [
        _block(item, "nl-NL", parts.dutch, kind)
        | {"parameters": [{"name": PARAMETER, "value": item.message}, derived]}
    ]
    if parts.english:
        blocks.append(_block(item, "en-US", parts.english, kind) | {"parameters": [derived]})
    return blocks


def _block(item: FeedItem, language: str, part: str, kind: Classification) -> dict[str, Any]:
    areas: Sequence[dict[str, Any]] = (
        [{"description": _AREA_NAME[language], "polygons": item.area}] if item.area else []
    )
    return {
        "language": language,
        "category": [kind.category.value],
        "event": kind.event(language),
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "effective": item.start_at,
        "expires": item.stop_at,
        "sender_name": "NL-Alert",
        "headline": headline(part) if part else None,
        "description": part or None,
        "areas": areas,
    }
