"""Command handling: native message -> channel -> commands -> aggregates -> one store transaction.

All commands from one native message (a whole feed snapshot, say) are decided against one
consistent read and saved in a single transaction, so a message is accepted entirely or not at all,
and a 202 means every event is durable. A concurrent writer touching the same alert makes the save
conflict; the whole message is then re-decided on fresh state.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    RecordConflictError,
    Recording,
)

from adapters.base import Channel, media_type_of
from domain.alert import Alert, AlertEvent, AlertIssued
from domain.commands import Command, Instruction
from domain.errors import (
    ChannelNotFoundError,
    ContentionError,
    InvalidMessageError,
    SignatureRequiredError,
    UnavailableError,
    UnsupportedMediaTypeError,
)
from domain.inbox import Inbox
from domain.original import OriginalMessage, body_digest, original_id
from domain.provenance import SignatureVerdict, Verdict
from domain.rights import Publisher, SnapshotLimit
from domain.state import AlertState
from hub.commits import GroupCommit, Ticket
from hub.limits import Limits
from hub.security.signatures import check_signature, pinned_certificates
from hub.storage.health import StorageHealth
from hub.storage.store import EventStore

log = structlog.get_logger(__name__)

AlertRecord = AlertIssued | AlertEvent


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
    signature: SignatureVerdict | None = None


@dataclass(frozen=True)
class Received:
    """A native message as it arrived, with the verdict on its signature: kept as its original."""

    channel: str
    body: bytes
    content_type: str | None
    signature: SignatureVerdict
    signed_at: datetime
    partner: str | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class IngestService:
    """The one path every native message takes, whatever its transport (HTTP, CLI, Kafka)."""

    def __init__(
        self,
        store: EventStore,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], datetime] = _utcnow,
        max_attempts: int = 32,
        limits: Limits | None = None,
        snapshot_limit: SnapshotLimit | None = None,
        storage: StorageHealth | None = None,
    ) -> None:
        self.store = store
        self.snapshot_limit = snapshot_limit or SnapshotLimit()
        self.channels = channels
        self.clock = clock
        self.max_attempts = max_attempts
        self.limits = limits or Limits()
        self.commits: GroupCommit[IngestResult] = GroupCommit(self._settle)
        self.storage = storage

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
            instructions = channel.parse(body, media_type)
        except InvalidMessageError:
            raise
        except Exception as exc:
            # A plugin broke its contract; the partner still gets a clear answer, not a 500.
            log.exception("channel.parse_crashed", channel=channel.name)
            raise InvalidMessageError(
                f"channel {channel.name} could not parse this message ({type(exc).__name__})"
            ) from exc
        self.limits.check(instructions)
        return instructions

    def ingest(
        self,
        channel_name: str,
        body: bytes,
        content_type: str | None,
        *,
        publisher: Publisher | None = None,
        confirm_end: bool = False,
    ) -> IngestResult:
        """Parse, check the signature against the publisher's pins, decide and record, or refuse.

        In-process callers (CLI, feed pollers) publish as the operator. `confirm_end`: the
        publisher means it when a feed snapshot ends many alerts at once.
        """
        acting = publisher or Publisher.operator()
        instructions = self.parse(channel_name, body, content_type)
        signed_at = self._signed_at(instructions)
        rights = acting.rights
        verdict = check_signature(body, pinned_certificates(rights.certificates), at=signed_at)
        if rights.require_signature and verdict.verdict is not Verdict.VERIFIED:
            raise SignatureRequiredError(
                f"partner {acting.name} must sign every message with a pinned certificate; "
                f"this one's signature is {verdict.verdict}: {verdict.reason}",
                location="Signature",
            )
        provenance = acting.provenance.model_copy(update={"signature": verdict})
        acting = acting.model_copy(update={"provenance": provenance})
        received = Received(channel_name, body, content_type, verdict, signed_at, acting.name)
        result = self.handle(
            instructions, publisher=acting, confirm_end=confirm_end, received=received
        )
        result.signature = verdict
        return result

    def _signed_at(self, instructions: Sequence[Instruction]) -> datetime:
        """When the message says it was sent: the moment its signer's certificate must cover."""
        sent = [i.message.sent for i in instructions if isinstance(i, Command)]
        return min(sent) if sent else self.clock()

    def handle(
        self,
        instructions: Sequence[Instruction],
        received: Received | None = None,
        *,
        publisher: Publisher | None = None,
        confirm_end: bool = False,
    ) -> IngestResult:
        """Decide and record one message's instructions, in a transaction shared with the
        messages ingested at the same moment (`hub.commits`), and answer once it committed."""
        if self.storage is not None:
            self.storage.check_room()
        try:
            return self.commits.submit(Work(instructions, received, publisher, confirm_end))
        except (OperationalError, InterfaceError) as exc:
            # The database went away: nothing was committed, the partner may retry.
            raise UnavailableError(
                f"the event store is unavailable: {exc}", reason="database-unreachable"
            ) from exc

    def _settle(self, batch: list[Ticket[IngestResult]]) -> list[Ticket[IngestResult]]:
        """Decide a batch and save it in one transaction; returns the tickets deferred."""
        decided: list[tuple[Ticket[IngestResult], Inbox]] = []
        claimed: set[UUID] = set()
        deferred = []
        for ticket in batch:
            work = cast(Work, ticket.work)
            if work.loaded & claimed:  # waits for the same aggregate as before: not decided
                deferred.append(ticket)
                continue
            loaded: set[UUID] = set()
            try:
                inbox = self._decide(work, loaded)
            except Exception as exc:
                ticket.finish(error=exc)
                continue
            loaded |= {*inbox.receipts, *inbox.feeds, *inbox.alerts}
            if loaded & claimed:  # depends on what this batch writes: decide it after
                work.loaded.update(loaded)
                deferred.append(ticket)
                continue
            claimed |= loaded
            decided.append((ticket, inbox))
        if not decided:
            return deferred
        try:
            results = self._save([(inbox, cast(Work, t.work).received) for t, inbox in decided])
        except RecordConflictError:  # another process wrote meanwhile: each alone, with retries
            for ticket, _ in decided:
                try:
                    ticket.finish(self._decide_and_save(cast(Work, ticket.work)))
                except Exception as exc:
                    ticket.finish(error=exc)
            return deferred
        except Exception as exc:
            for ticket, _ in decided:
                ticket.finish(error=exc)
            return deferred
        for (ticket, _), result in zip(decided, results, strict=True):
            ticket.finish(result)
        return deferred

    def _decide(self, work: Work, loaded: set[UUID] | None = None) -> Inbox:
        """The inbox of one message's decisions; `loaded` collects every aggregate id asked for."""
        acting = work.publisher or Publisher.operator()
        limit = self.snapshot_limit.model_copy(update={"confirmed": work.confirm_end})

        def load(aggregate_id: UUID) -> Aggregate | None:
            if loaded is not None:
                loaded.add(aggregate_id)
            return self._load(aggregate_id)

        inbox = Inbox(load, acting, limit)
        inbox.apply_all(work.instructions, now=self.clock())
        return inbox

    def _decide_and_save(self, work: Work) -> IngestResult:
        for attempt in range(1, self.max_attempts + 1):
            inbox = self._decide(work)
            try:
                return self._save([(inbox, work.received)])[0]
            except RecordConflictError:
                log.debug("ingest.conflict_retry", attempt=attempt)
                time.sleep(random.uniform(0, 0.002 * attempt))  # de-synchronise the writers
        raise ContentionError(f"gave up after {self.max_attempts} concurrent-write conflicts")

    def history(self, alert_id: UUID, *, after: int = 0, limit: int = 100) -> list[AlertRecord]:
        """Up to `limit` of an alert's recorded events past version `after`, oldest first."""
        events = self.store.events.get(alert_id, gt=after or None, limit=limit)
        return [e for e in events if isinstance(e, AlertIssued | AlertEvent)]

    def alert_state(self, alert_id: UUID) -> AlertState | None:
        """The alert as the store has it now (None: no such alert)."""
        alert = self._load(alert_id)
        return alert.state if isinstance(alert, Alert) else None

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            return self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _original(self, inbox: Inbox, received: Received | None) -> list[OriginalMessage]:
        """The original to keep with this transaction: new bytes that caused events, else none."""
        if received is None or not inbox.touched:
            return []
        if self._load(original_id(body_digest(received.body))) is not None:
            return []
        return [
            OriginalMessage.record(
                channel=received.channel,
                partner=received.partner,
                content_type=received.content_type,
                body=received.body,
                signature=received.signature.model_dump(mode="json", exclude_none=True),
                signed_at=received.signed_at,
                alerts=inbox.touched,
            )
        ]

    def _save(self, decided: Sequence[tuple[Inbox, Received | None]]) -> list[IngestResult]:
        """Every message's events in one transaction; each message's own result."""
        originals = [self._original(inbox, received) for inbox, received in decided]
        owner: dict[UUID, int] = {}
        for index, (inbox, _) in enumerate(decided):
            owner |= dict.fromkeys([*inbox.receipts, *inbox.feeds, *inbox.alerts], index)
            owner |= {original.id: index for original in originals[index]}
        results = [
            IngestResult([Accepted(aid) for aid in inbox.touched], inbox.duplicates, 0)
            for inbox, _ in decided
        ]
        accepted = [{a.alert_id: a for a in result.accepted} for result in results]
        # Originals, then receipts and channel feeds, then alerts: the last notification of the
        # transaction (and of each message) is an alert event, the position a reader waits for.
        recordings = self._record(
            *(original for kept in originals for original in kept),
            *(receipt for inbox, _ in decided for receipt in inbox.receipts.values()),
            *(feed for inbox, _ in decided for feed in inbox.feeds.values()),
            *(alert for inbox, _ in decided for alert in inbox.alerts.values()),
        )
        for recording in recordings:
            event = recording.domain_event
            index = owner[event.originator_id]
            result = results[index]
            result.position = max(result.position, recording.notification.id or 0)
            if event.originator_id in accepted[index]:
                accepted[index][event.originator_id].events.append(
                    RecordedEvent(type(event).__name__, event.originator_version)
                )
        return results

    def _record(self, *items: Any) -> list[Recording[UUID]]:
        """One transaction; a storage failure (disk full, read-only...) is `UnavailableError`.

        Broad on purpose: the failure may come from the store's database, or from the key store
        the sealing mapper writes a new alert's key to on the way (its own SQLite file, or
        PostgreSQL); what is not a storage failure is raised as it came.
        """
        try:
            recordings = self.store.save(*items)
        except Exception as exc:
            unavailable = self.storage.unavailable(exc) if self.storage else None
            if unavailable is None or isinstance(exc, RecordConflictError):
                raise
            raise unavailable from exc
        if self.storage is not None:
            self.storage.succeeded()
        return recordings


@dataclass(frozen=True)
class Work:
    """What one caller asks `handle` to decide and record."""

    instructions: Sequence[Instruction]
    received: Received | None
    publisher: Publisher | None
    confirm_end: bool
    # The aggregates its last decision loaded, when it was deferred: until a batch has none of
    # them claimed, deciding it again would only defer it again.
    loaded: set[UUID] = field(default_factory=set)
