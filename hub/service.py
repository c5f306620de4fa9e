"""Command handling: native message -> channel -> commands -> aggregates -> one store transaction.

All commands from one native message (a whole feed snapshot, say) are decided against one
consistent read and saved in a single transaction, so a message is accepted entirely or not at all,
and a 202 means every event is durable. A concurrent writer touching the same alert makes the save
conflict; the whole message is then re-decided on fresh state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from adapters.base import Channel, media_type_of
from domain.alert import Alert, MessageReceipt
from domain.commands import Command
from domain.errors import (
    ChannelNotFoundError,
    IdentifierReusedError,
    InvalidMessageError,
    UnsupportedMediaTypeError,
)
from domain.identity import receipt_id, resolve_alert_id
from hub.store import EventStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RecordedEvent:
    type: str
    version: int


@dataclass
class Accepted:
    alert_id: UUID
    events: list[RecordedEvent] = field(default_factory=list)


@dataclass
class IngestResult:
    accepted: list[Accepted]
    duplicates: int
    position: int  # the notification id of the last event recorded (0 if none)


class _Attempt:
    """One consistent decision over a message's commands; aggregates loaded once, saved together."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.alerts: dict[UUID, Alert] = {}
        self.receipts: dict[UUID, MessageReceipt] = {}
        self.accepted: dict[UUID, Accepted] = {}
        self.duplicates = 0

    def _get(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            return self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def receipt(self, rid: UUID) -> MessageReceipt | None:
        if rid not in self.receipts:
            found = self._get(rid)
            if found is None:
                return None
            self.receipts[rid] = found  # type: ignore[assignment]
        return self.receipts[rid]

    def alert(self, aid: UUID) -> Alert | None:
        if aid not in self.alerts:
            found = self._get(aid)
            if found is None:
                return None
            self.alerts[aid] = found  # type: ignore[assignment]
        return self.alerts[aid]

    def apply(self, command: Command) -> None:
        message = command.message
        rid, digest = receipt_id(message.key), message.digest()
        seen = self.receipt(rid)
        if seen is not None:
            if seen.digest != digest:
                raise IdentifierReusedError(
                    f"message {message.identifier} from {message.sender} was already received "
                    "with different content; CAP identifiers must be unique per sender"
                )
            self.duplicates += 1
            return
        aid = resolve_alert_id(
            command,
            alert_of_message=lambda r: receipt.alert_id if (receipt := self.receipt(r)) else None,
            alert_exists=lambda a: self.alert(a) is not None,
        )
        alert = self.alert(aid)
        if alert is None:
            alert = self.alerts[aid] = Alert.start(aid, command)
        else:
            alert.receive(command)
        self.receipts[rid] = MessageReceipt.record(rid, aid, digest)
        self.accepted.setdefault(aid, Accepted(aid))

    def save(self) -> IngestResult:
        pending = [*self.alerts.values(), *self.receipts.values()]
        recordings = self.store.save(*pending)
        position = 0
        for recording in recordings:
            event = recording.domain_event
            position = max(position, recording.notification.id or 0)
            if event.originator_id in self.accepted:
                self.accepted[event.originator_id].events.append(
                    RecordedEvent(type(event).__name__, event.originator_version)
                )
        return IngestResult(list(self.accepted.values()), self.duplicates, position)


class IngestService:
    """The one path every native message takes, whatever its transport (HTTP, CLI, Kafka)."""

    def __init__(
        self, store: EventStore, channels: Mapping[str, Channel], *, max_attempts: int = 8
    ) -> None:
        self.store = store
        self.channels = channels
        self.max_attempts = max_attempts

    def channel(self, name: str) -> Channel:
        try:
            return self.channels[name]
        except KeyError:
            raise ChannelNotFoundError(f"no channel named {name!r} is installed") from None

    def parse(self, channel_name: str, body: bytes, content_type: str | None) -> list[Command]:
        channel = self.channel(channel_name)
        media_type = media_type_of(content_type)
        if media_type not in channel.media_types:
            raise UnsupportedMediaTypeError(
                f"channel {channel.name} accepts {', '.join(channel.media_types)}; "
                f"got {media_type or 'no Content-Type'}",
                location="Content-Type",
            )
        try:
            return channel.parse(body, media_type)
        except InvalidMessageError:
            raise
        except Exception as exc:
            # A plugin broke its contract; the partner still gets a clear answer, not a 500.
            log.exception("channel.parse_crashed", channel=channel.name)
            raise InvalidMessageError(
                f"channel {channel.name} could not parse this message ({type(exc).__name__})"
            ) from exc

    def ingest(self, channel_name: str, body: bytes, content_type: str | None) -> IngestResult:
        return self.handle(self.parse(channel_name, body, content_type))

    def handle(self, commands: list[Command]) -> IngestResult:
        for attempt in range(1, self.max_attempts + 1):
            decision = _Attempt(self.store)
            for command in commands:
                decision.apply(command)
            try:
                return decision.save()
            except RecordConflictError:
                log.info("ingest.conflict_retry", attempt=attempt)
        raise RuntimeError(f"gave up after {self.max_attempts} concurrent-write conflicts")
