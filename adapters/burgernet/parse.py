"""Burgernet feed JSON -> canonical commands.

The feed is a snapshot, so parsing is a pure function of the posted bytes and every identity is
derived from content (reposting is all duplicates):

- each entry of `messages[]` is one `AlertMessage`, identifier `burgernet-<id>-<key>`, where the key
  is the entry's `lastModifiedTimestamp` as sent (`i<index>` for a first entry without one; a
  repeated timestamp within the action gets `-2`, `-3` in feed order);
- entries are taken in order of `sent` (feed order breaks ties): the first issues the alert
  (thread `burgernet:<id>`), later ones update it, and a closing one (`closing.py`) ends it. Update
  and Cancel reference the first entry, which every snapshot of the action contains;
- an action with `active: false` also gets an end marker `burgernet-<id>-end[-<endTimestamp>]`
  (a Cancel without content). Only the marker carries `active` and `endTimestamp`: they change
  while the messages do not, and a message's content must never change under its identity;
- the whole feed (`{"actions": [...]}`) ends with `EndMissingAlerts`: the feed lists current and
  recently ended actions, so an action that vanishes while still open has ended, outcome resolved
  (we did not see its result). One posted action object says nothing about the others.

Mapping of one message: sender `burgernet.nl`, status Actual, scope Public, `sent` from its
`lastModifiedTimestamp` (the first entry may fall back to `startTimestamp`). One info block:
language nl-NL; category Rescue when the actionType names a missing person (`vermis...`) or the
action is an AMBER Alert, else Security; event = actionType; urgency Immediate; severity Moderate
(Severe when `amberAlert`); certainty Observed; headline = title; description = body; web =
responseUrl; one area: description = municipality, circle lat/lng with radius/1000 km.
`burgernet:*` parameters keep what CAP has no element for, in the partner's own form: id and
speechId as JSON literals (a number stays a number), amberAlert, actionType, municipality,
startTimestamp, lastModifiedTimestamp, messageType. No `expires`: an action ends when Burgernet
says so (`active: false`, a result message), and `endTimestamp` is read as when it ended, not a
planned end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from adapters.burgernet.closing import closing_outcome
from adapters.burgernet.schema import Action, Feed, Message, epoch_to_datetime, load_json
from adapters.problems import validated
from domain.commands import (
    Command,
    EndAlert,
    EndMissingAlerts,
    Instruction,
    IssueAlert,
    Outcome,
    UpdateAlert,
)
from domain.errors import InvalidMessageError
from domain.model import (
    AlertMessage,
    Area,
    Category,
    Certainty,
    Circle,
    Info,
    MessageRef,
    MsgType,
    NamedValue,
    Scope,
    Severity,
    Status,
    Urgency,
)

CHANNEL = "burgernet"
SENDER = "burgernet.nl"
MISSING_PERSON_WORDS = ("vermis", "amber", "missing")
INACTIVE = "Burgernet lists the action as no longer active"


def thread_of(action_id: int | str) -> str:
    return f"{CHANNEL}:{action_id}"


def message_identifier(action_id: int | str, key: str) -> str:
    return f"burgernet-{action_id}-{key}"


def end_identifier(action_id: int | str, end_timestamp: int | None) -> str:
    """The end marker's identity; it names the endTimestamp, which may still change."""
    suffix = "" if end_timestamp is None else f"-{end_timestamp}"
    return f"burgernet-{action_id}-end{suffix}"


def parse_burgernet(body: bytes) -> list[Instruction]:
    """Parse a whole feed or one action; raises only `InvalidMessageError`."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise InvalidMessageError(
            'the body must be the feed {"actions": [...]} or one action object', location="$"
        )
    if "actions" not in data:
        return list(action_commands(validated(Action, data), ""))
    feed = validated(Feed, data)
    paths = [f"actions[{i}]" for i in range(len(feed.actions))]
    _refuse_repeated_ids(feed, paths)
    commands = [c for a, p in zip(feed.actions, paths, strict=True) for c in action_commands(a, p)]
    present = frozenset(thread_of(a.id) for a in feed.actions)
    return [*commands, EndMissingAlerts(channel=CHANNEL, present=present)]


def _refuse_repeated_ids(feed: Feed, paths: list[str]) -> None:
    seen: set[str] = set()
    for action, path in zip(feed.actions, paths, strict=True):
        if thread_of(action.id) in seen:
            raise InvalidMessageError(f"action id {action.id!r} repeats", location=f"{path}.id")
        seen.add(thread_of(action.id))


@dataclass(frozen=True)
class Entry:
    """One `messages[]` entry with its position, identity key and `sent`."""

    index: int
    key: str
    sent: datetime
    message: Message

    @property
    def outcome(self) -> Outcome | None:
        m = self.message
        return closing_outcome(m.message_type, m.title, m.body)


def entries(action: Action, path: str) -> list[Entry]:
    """The action's messages in order of `sent`, each with its deterministic key."""
    found: list[Entry] = []
    used: dict[str, int] = {}
    for index, message in enumerate(action.messages):
        raw = message.last_modified_timestamp
        if raw is None and index > 0:
            where = f"{_join(path, 'messages')}[{index}].lastModifiedTimestamp"
            raise InvalidMessageError("is required after the first message", location=where)
        base = f"i{index}" if raw is None else str(raw)
        used[base] = used.get(base, 0) + 1
        key = base if used[base] == 1 else f"{base}-{used[base]}"
        sent = epoch_to_datetime(action.start_timestamp if raw is None else raw)
        found.append(Entry(index, key, sent, message))
    return sorted(found, key=lambda e: (e.sent, e.index))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def action_commands(action: Action, path: str) -> list[Command]:
    """Issue, updates, closing messages and (if inactive) the end marker of one action."""
    try:
        return _action_commands(action, path)
    except ValidationError as exc:  # the schema's bounds should make this unreachable
        problem = exc.errors(include_url=False)[0]["msg"]
        raise InvalidMessageError(
            f"not expressible as CAP: {problem}", location=path or "$"
        ) from None


def _action_commands(action: Action, path: str) -> list[Command]:
    end = action.end_timestamp
    if end and epoch_to_datetime(end) < epoch_to_datetime(action.start_timestamp):
        raise InvalidMessageError("is before startTimestamp", location=_join(path, "endTimestamp"))
    ordered = entries(action, path)
    if not ordered:
        return []
    first = canonical(action, ordered[0], MsgType.ALERT, [])
    thread = thread_of(action.id)
    commands: list[Command] = [IssueAlert(channel=CHANNEL, message=first, thread=thread)]
    commands += [_later(action, entry, first.ref, thread) for entry in ordered[1:]]
    if not action.active:
        commands.append(_inactive(action, ordered, first.ref, thread))
    return commands


def _inactive(action: Action, ordered: list[Entry], first: MessageRef, thread: str) -> EndAlert:
    """`active: false` ends the action with the last outcome its messages state (else resolved)."""
    outcomes = [e.outcome for e in ordered if e.outcome is not None]
    return EndAlert(
        channel=CHANNEL,
        message=end_marker(action, first, ordered[-1].sent),
        thread=thread,
        outcome=outcomes[-1] if outcomes else Outcome.RESOLVED,
        reason=INACTIVE,
    )


def _later(action: Action, entry: Entry, first: MessageRef, thread: str) -> Command:
    outcome = entry.outcome
    if outcome is None:
        message = canonical(action, entry, MsgType.UPDATE, [first])
        return UpdateAlert(channel=CHANNEL, message=message, thread=thread)
    message = canonical(action, entry, MsgType.CANCEL, [first])
    reason = entry.message.title[:4096]
    return EndAlert(channel=CHANNEL, message=message, thread=thread, outcome=outcome, reason=reason)


def end_marker(action: Action, first: MessageRef, last_sent: datetime) -> AlertMessage:
    """The Cancel that records `active: false` (and the endTimestamp) without new content."""
    end = action.end_timestamp
    sent = epoch_to_datetime(end) if end else last_sent
    return AlertMessage(
        identifier=end_identifier(action.id, end),
        sender=SENDER,
        sent=sent,
        status=Status.ACTUAL,
        msg_type=MsgType.CANCEL,
        scope=Scope.PUBLIC,
        references=[first],
        note=INACTIVE,
    )


def canonical(
    action: Action, entry: Entry, msg_type: MsgType, refs: list[MessageRef]
) -> AlertMessage:
    """One feed message as a canonical message (the mapping is in the module docstring)."""
    return AlertMessage(
        identifier=message_identifier(action.id, entry.key),
        sender=SENDER,
        sent=entry.sent,
        status=Status.ACTUAL,
        msg_type=msg_type,
        scope=Scope.PUBLIC,
        references=refs,
        info=[_info(action, entry.message)],
    )


def _info(action: Action, message: Message) -> Info:
    area = action.area
    return Info(
        language="nl-NL",
        category=[category_of(action)],
        event=action.action_type,
        urgency=Urgency.IMMEDIATE,
        severity=Severity.SEVERE if action.amber_alert else Severity.MODERATE,
        certainty=Certainty.OBSERVED,
        sender_name="Burgernet",
        headline=message.title,
        description=message.body,
        web=message.response_url or None,
        parameters=_parameters(action, message),
        areas=[
            Area(
                description=action.municipality,
                circles=[Circle(lat=area.lat, lon=area.lng, radius_km=area.radius / 1000)],
            )
        ],
    )


def category_of(action: Action) -> Category:
    """Rescue for missing persons (and AMBER Alerts, which are missing children), else Security."""
    kind = action.action_type.casefold()
    missing = action.amber_alert or any(word in kind for word in MISSING_PERSON_WORDS)
    return Category.RESCUE if missing else Category.SECURITY


def _parameters(action: Action, message: Message) -> list[NamedValue]:
    values: dict[str, str | None] = {
        "id": json.dumps(action.id),
        "actionType": action.action_type,
        "municipality": action.municipality,
        "amberAlert": "true" if action.amber_alert else "false",
        "startTimestamp": str(action.start_timestamp),
        "messageType": message.message_type,
        "lastModifiedTimestamp": _optional_str(message.last_modified_timestamp),
        "speechId": None if message.speech_id is None else json.dumps(message.speech_id),
    }
    return [
        NamedValue(name=f"{CHANNEL}:{name}", value=value)
        for name, value in values.items()
        if value is not None
    ]


def _optional_str(value: int | None) -> str | None:
    return None if value is None else str(value)
