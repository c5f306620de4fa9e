"""The state of one alert, folded from its events by pure functions.

The `Alert` aggregate and the projections both evolve an `AlertState` with these same transitions,
so the state a view stores is, by construction, the state the aggregate decided on.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, Field

from domain.commands import Outcome
from domain.model import AlertMessage, MessageRef, Moment, MsgType, Value
from domain.personal import erased
from domain.provenance import SignatureVerdict


def _by_sent(message: AlertMessage) -> datetime:
    return message.sent


class Lifecycle(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    EXPIRED = "expired"


class Origin(Value):
    """The message that opened the alert in the hub, and through which channel."""

    channel: str
    sender: str
    identifier: str
    sent: Moment


class Ending(Value):
    at: Moment
    outcome: Outcome
    reason: str | None = None
    channel: str
    identifier: str


class Erasure(Value):
    """Who erased an alert's personal data, when and why (the key is gone from then on)."""

    at: AwareDatetime
    by: str
    reason: str
    fields: list[str]


class AlertState(Value):
    alert_id: UUID
    version: int = Field(ge=1)
    origin: Origin
    thread: str | None = Field(default=None, description="The channel's own id of the incident")
    channels: list[str]
    current: AlertMessage
    messages: list[AlertMessage] = Field(
        description="Every message of the alert in order of `sent` (its history, for rendering)"
    )
    first_message_type: MsgType
    awaiting: list[MessageRef] = Field(
        default_factory=list,
        description="References of the first message whose originals were never seen",
    )
    linked: list[MessageRef] = Field(default_factory=list)
    ended: Ending | None = None
    signature: SignatureVerdict | None = Field(
        default=None,
        description="The verdict on the XML signature of the message shown (`current`), as the"
        " hub checked it on arrival; None for a message recorded before verdicts were",
    )
    recorded_at: AwareDatetime
    updated_at: AwareDatetime
    assumed_expiry: Moment | None = Field(
        default=None,
        description="Set by the read side from a channel's default lifetime when no info block "
        "says `expires` (see `domain.lifetimes`); never by the aggregate",
    )
    erasure: Erasure | None = Field(
        default=None, description="Set once the alert's personal data has been erased"
    )

    @classmethod
    def issued(
        cls,
        alert_id: UUID,
        channel: str,
        message: AlertMessage,
        at: datetime,
        thread: str | None = None,
        *,
        signature: SignatureVerdict | None = None,
    ) -> AlertState:
        return cls(
            alert_id=alert_id,
            thread=thread,
            signature=signature,
            version=1,
            origin=Origin(
                channel=channel,
                sender=message.sender,
                identifier=message.identifier,
                sent=message.sent,
            ),
            channels=[channel],
            current=message,
            messages=[message],
            first_message_type=message.msg_type,
            awaiting=list(message.references),
            recorded_at=at,
            updated_at=at,
        )

    def _next(
        self, channel: str, message: AlertMessage, version: int, at: datetime, **changes: Any
    ) -> AlertState:
        channels = self.channels if channel in self.channels else [*self.channels, channel]
        known = any(m.key == message.key for m in self.messages)
        messages = self.messages if known else sorted([*self.messages, message], key=_by_sent)
        return self.model_copy(
            update={
                "version": version,
                "channels": channels,
                "messages": messages,
                "updated_at": at,
                **changes,
            }
        )

    def updated(
        self, channel: str, message: AlertMessage, version: int, at: datetime
    ) -> AlertState:
        return self._next(channel, message, version, at, current=message)

    def recorded(
        self, channel: str, message: AlertMessage, version: int, at: datetime
    ) -> AlertState:
        """A message kept in history only (older than what we show)."""
        return self._next(channel, message, version, at)

    def linked_original(
        self, channel: str, message: AlertMessage, version: int, at: datetime
    ) -> AlertState:
        ref = message.ref
        awaiting = [r for r in self.awaiting if r.key != ref.key]
        newer = message.sent > self.current.sent and self.ended is None
        return self._next(
            channel,
            message,
            version,
            at,
            awaiting=awaiting,
            linked=[*self.linked, ref],
            current=message if newer else self.current,
            origin=Origin(
                channel=channel,
                sender=message.sender,
                identifier=message.identifier,
                sent=message.sent,
            ),
        )

    def ended_by(
        self,
        *,
        channel: str,
        message: AlertMessage,
        outcome: Outcome,
        reason: str | None,
        version: int,
        at: datetime,
    ) -> AlertState:
        newer_content = message.info and message.sent >= self.current.sent
        ending = Ending(
            at=message.sent,
            outcome=outcome,
            reason=reason,
            channel=channel,
            identifier=message.identifier,
        )
        return self._next(
            channel,
            message,
            version,
            at,
            ended=ending,
            current=message if newer_content else self.current,
        )

    def erased(self, erasure: Erasure, version: int, at: datetime) -> AlertState:
        """Every message of the alert with the erased fields marked; the rest kept as it was."""

        def scrub(message: AlertMessage) -> AlertMessage:
            return AlertMessage.model_validate(erased(message.to_json(), erasure.fields))

        return self.model_copy(
            update={
                "version": version,
                "current": scrub(self.current),
                "messages": [scrub(m) for m in self.messages],
                "updated_at": at,
                "erasure": erasure,
            }
        )

    def is_awaiting(self, message: AlertMessage) -> bool:
        return any(ref.key == message.key for ref in self.awaiting)

    def lifecycle(self, now: datetime) -> Lifecycle:
        """Derived at read time: expiry is never written, so it is right at any `now`."""
        if self.ended is not None:
            return Lifecycle.ENDED
        expiry = self.expires_at
        if expiry is not None and expiry <= now:
            return Lifecycle.EXPIRED
        return Lifecycle.ACTIVE

    @property
    def expires_at(self) -> datetime | None:
        """When the content says it expires; else the assumed expiry, if the read side set one."""
        return self.current.latest_expiry() or self.assumed_expiry

    @property
    def is_public(self) -> bool:
        """Shown to everyone: an Actual alert for the Public (Restricted/Private never)."""
        return self.current.is_public
