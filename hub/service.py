"""Command handling: native message -> channel -> commands -> aggregates -> one store transaction.

All commands from one native message (a whole feed snapshot, say) are decided against one
consistent read and saved in a single transaction, so a message is accepted entirely or not at all,
and a 202 means every event is durable. A concurrent writer touching the same alert makes the save
conflict; the whole message is then re-decided on fresh state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from adapters.base import Channel, media_type_of
from domain.alert import Alert, MessageReceipt
from domain.commands import Command, EndAlert, EndMissingAlerts, Instruction
from domain.errors import (
    ChannelNotFoundError,
    IdentifierReusedError,
    InvalidMessageError,
    UnsupportedMediaTypeError,
)
from domain.identity import receipt_id, resolve_alert_id
from domain.model import AlertMessage, MsgType
from domain.state import AlertState
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


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _no_open_threads(channel: str) -> list[AlertState]:
    return []


def end_of(state: AlertState, missing: EndMissingAlerts, now: datetime) -> EndAlert:
    """The Cancel the hub writes for an alert that vanished from its channel's feed."""
    current = state.current
    message = AlertMessage(
        identifier=f"{current.identifier}.vanished",
        sender=current.sender,
        sent=max(now.replace(microsecond=0), current.sent),
        status=current.status,
        msg_type=MsgType.CANCEL,
        scope=current.scope,
        restriction=current.restriction,
        addresses=current.addresses,
        references=[current.ref],
        note=missing.reason,
    )
    return EndAlert(
        channel=missing.channel,
        message=message,
        thread=state.thread,
        outcome=missing.outcome,
        reason=missing.reason,
    )


class IngestService:
    """The one path every native message takes, whatever its transport (HTTP, CLI, Kafka)."""

    def __init__(
        self,
        store: EventStore,
        channels: Mapping[str, Channel],
        *,
        open_threads: Callable[[str], list[AlertState]] = _no_open_threads,
        clock: Callable[[], datetime] = _utcnow,
        max_attempts: int = 8,
    ) -> None:
        self.store = store
        self.channels = channels
        self.open_threads = open_threads
        self.clock = clock
        self.max_attempts = max_attempts

    def channel(self, name: str) -> Channel:
        try:
            return self.channels[name]
        except KeyError:
            raise ChannelNotFoundError(f"no channel named {name!r} is installed") from None

    def parse(
        self, channel_name: str, body: bytes, content_type: str | None
    ) -> Sequence[Instruction]:
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

    def _commands(self, instructions: Sequence[Instruction]) -> list[Command]:
        """Expand snapshot instructions into the Cancel of each vanished alert."""
        commands: list[Command] = []
        for instruction in instructions:
            if isinstance(instruction, EndMissingAlerts):
                now = self.clock()
                commands += [
                    end_of(state, instruction, now)
                    for state in self.open_threads(instruction.channel)
                    if state.thread not in instruction.present
                ]
            else:
                commands.append(instruction)
        return commands

    def handle(self, instructions: Sequence[Instruction]) -> IngestResult:
        commands = self._commands(instructions)
        for attempt in range(1, self.max_attempts + 1):
            decision = _Attempt(self.store)
            for command in commands:
                decision.apply(command)
            try:
                return decision.save()
            except RecordConflictError:
                log.info("ingest.conflict_retry", attempt=attempt)
        raise RuntimeError(f"gave up after {self.max_attempts} concurrent-write conflicts")
