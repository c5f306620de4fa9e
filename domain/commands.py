"""Commands: what a channel adapter asks the hub to do with one native message (imperative names).

A command carries the canonical `AlertMessage` and, for channels whose native format already
names the incident thread (a Burgernet action id, an AMBER AlertId), the `thread` that fixes which
alert it belongs to. CAP messages find their alert through `references` instead.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from domain.model import AlertMessage, MsgType, Value


class Outcome(StrEnum):
    """How an alert ended. CAP says only "Cancel"; the Dutch systems say more."""

    CANCELLED = "cancelled"
    RESOLVED = "resolved"
    FOUND = "found"
    NOT_FOUND = "not_found"
    WITHDRAWN = "withdrawn"


class Command(Value):
    channel: str = Field(min_length=1, max_length=64)
    message: AlertMessage
    thread: str | None = Field(default=None, min_length=1, max_length=512)


class IssueAlert(Command):
    """Publish a new alert (CAP msgType Alert)."""


class UpdateAlert(Command):
    """Replace an alert's content with newer content (CAP msgType Update)."""


class EndAlert(Command):
    """End an alert with an outcome (CAP msgType Cancel, a closing message, a vanished item)."""

    outcome: Outcome = Outcome.CANCELLED
    reason: str | None = Field(default=None, max_length=4096)


class EndMissingAlerts(Value):
    """A complete snapshot of a channel's feed was read: its alerts missing from it have ended.

    Feeds such as NL-Alert's list what is current; an item that vanishes has ended. The channel
    names the threads present; the hub ends the channel's other open threads, stamped with the
    time it observed the snapshot (parsing stays pure: it never reads a clock).
    """

    channel: str = Field(min_length=1, max_length=64)
    present: frozenset[str]
    outcome: Outcome = Outcome.RESOLVED
    reason: str = Field(default="no longer in the feed", max_length=4096)


Instruction = Command | EndMissingAlerts


def command_for(channel: str, message: AlertMessage, thread: str | None = None) -> Command:
    """The command a CAP message asks for, by its msgType.

    Ack and Error messages are answers between systems, not alert content; the hub refuses them
    rather than guess what they should change.
    """
    match message.msg_type:
        case MsgType.ALERT:
            return IssueAlert(channel=channel, message=message, thread=thread)
        case MsgType.UPDATE:
            return UpdateAlert(channel=channel, message=message, thread=thread)
        case MsgType.CANCEL:
            return EndAlert(channel=channel, message=message, thread=thread)
        case _:
            raise ValueError(
                f"msgType {message.msg_type} is not accepted (only Alert, Update, Cancel)"
            )
