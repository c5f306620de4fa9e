"""Deterministic identities: the same message always maps to the same alert and receipt.

Alert ids are UUIDv5 of a thread key, so any process derives them without a lookup table:
a thread named by the channel, else the root of the CAP reference chain. Receipt ids are UUIDv5 of
the message key (`sender|identifier`), which makes "have we seen this message?" one keyed read.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid5

from domain.commands import Command

NAMESPACE = UUID("5c0f4b0e-2f7a-4d53-9a57-6a1d3c3f2e10")


def alert_id(thread: str) -> UUID:
    return uuid5(NAMESPACE, f"alert:{thread}")


def receipt_id(message_key: str) -> UUID:
    return uuid5(NAMESPACE, f"message:{message_key}")


def resolve_alert_id(
    command: Command,
    *,
    alert_of_message: Callable[[UUID], UUID | None],
    alert_exists: Callable[[UUID], bool],
) -> UUID:
    """Which alert a command belongs to.

    In order: the channel's thread; an alert already opened in anticipation of this very message
    (an Update arrived before its original); the alert of any referenced message we have seen; and
    otherwise the alert named after the earliest reference (or after the message itself).
    """
    message = command.message
    if command.thread is not None:
        return alert_id(command.thread)
    own = alert_id(message.key)
    if message.references and alert_exists(own):
        return own
    for ref in message.references:
        found = alert_of_message(receipt_id(ref.key))
        if found is not None:
            return found
    if not message.references:
        return own
    return alert_id(min(message.references, key=lambda ref: ref.sent).key)
