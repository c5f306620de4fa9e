"""Deciding a batch of commands: which alert each belongs to, duplicates, and the resulting events.

An `Inbox` is one consistent decision over one native message's commands (a feed snapshot can hold
many). It loads each aggregate at most once through the `load` function it is given, so the same
logic runs against the event store (the hub) or purely in memory (the conformance suite). Every
decision reads aggregates only: which threads of a channel are open comes from its `ChannelFeed`,
kept in the same transaction as the alerts, never from a view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.alert import Alert, MessageReceipt
from domain.commands import Command, EndAlert, EndMissingAlerts, Instruction
from domain.errors import IdentifierReusedError
from domain.feed import ChannelFeed, feed_id
from domain.identity import receipt_id, resolve_alert_id
from domain.model import AlertMessage, MsgType
from domain.rights import Publisher, SnapshotLimit
from domain.state import AlertState

Loader = Callable[[UUID], Aggregate | None]


def _nothing(_: UUID) -> None:
    return None


class Inbox:
    """`publisher` is who sent the message and `limit` how many of its alerts one feed snapshot
    may end; left out (in-memory folds), the operator acts, with every right and no limit."""

    def __init__(
        self,
        load: Loader = _nothing,
        publisher: Publisher | None = None,
        limit: SnapshotLimit | None = None,
    ) -> None:
        self._load = load
        self.publisher = publisher or Publisher.operator()
        self.limit = limit or SnapshotLimit(confirmed=True)
        self.alerts: dict[UUID, Alert] = {}
        self.receipts: dict[UUID, MessageReceipt] = {}
        self.feeds: dict[UUID, ChannelFeed] = {}
        self.touched: list[UUID] = []
        self.duplicates = 0

    def receipt(self, rid: UUID) -> MessageReceipt | None:
        if rid not in self.receipts:
            found = self._load(rid)
            if not isinstance(found, MessageReceipt):
                return None
            self.receipts[rid] = found
        return self.receipts[rid]

    def alert(self, aid: UUID) -> Alert | None:
        if aid not in self.alerts:
            found = self._load(aid)
            if not isinstance(found, Alert):
                return None
            self.alerts[aid] = found
        return self.alerts[aid]

    def feed(self, channel: str) -> ChannelFeed:
        fid = feed_id(channel)
        if fid not in self.feeds:
            found = self._load(fid)
            started = found if isinstance(found, ChannelFeed) else None
            self.feeds[fid] = started or ChannelFeed.start(channel)
        return self.feeds[fid]

    def apply(self, command: Command) -> UUID | None:
        """Decide one command; returns its alert id, or None for a duplicate.

        Rights come first: a partner learns nothing (not even "duplicate") about a message
        it could not have sent.
        """
        self.publisher.check(command)
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
            return None
        aid = resolve_alert_id(
            command,
            alert_of_message=lambda r: receipt.alert_id if (receipt := self.receipt(r)) else None,
            alert_exists=lambda a: self.alert(a) is not None,
        )
        alert = self.alert(aid)
        was_open = alert is not None and alert.state.ended is None
        provenance = self.publisher.provenance
        if alert is None:
            alert = self.alerts[aid] = Alert.start(aid, command, provenance)
        else:
            provenance = self.publisher.provenance_for(str(aid), alert.issued_by)
            alert.receive(command, provenance)
        if alert.state.thread is not None and was_open != (alert.state.ended is None):
            self._track_thread(alert)
        self.receipts[rid] = MessageReceipt.record(rid, aid, digest, provenance)
        if aid not in self.touched:
            self.touched.append(aid)
        return aid

    def _track_thread(self, alert: Alert) -> None:
        """The channel that opened a threaded alert records it open, then closed when it ends."""
        state = alert.state
        assert state.thread is not None
        feed = self.feed(state.origin.channel)
        if state.ended is None:
            feed.opened(state.thread, alert.id)
        else:
            feed.closed(state.thread)

    def apply_all(self, instructions: Iterable[Instruction], *, now: datetime) -> None:
        for instruction in instructions:
            if isinstance(instruction, EndMissingAlerts):
                self.end_missing(instruction, now)
            else:
                self.apply(instruction)

    def end_missing(self, snapshot: EndMissingAlerts, now: datetime) -> None:
        """End the publisher's own open threads of the channel that a complete snapshot no
        longer lists; the channel's feed in the store says which are open, never a view."""
        feed = self.feed(snapshot.channel)
        own = [
            alert
            for _, aid in sorted(feed.open.items())
            if (alert := self.alert(aid)) is not None
            and alert.state.ended is None
            and alert.issued_by == self.publisher.name
        ]
        gone = [alert for alert in own if alert.state.thread not in snapshot.present]
        self.limit.check(snapshot.channel, len(gone), len(own))
        for alert in gone:
            self.apply(end_of(alert.state, snapshot, now))

    def pending(self) -> list[Aggregate]:
        """Receipts and feeds first: the last notification of a transaction is an alert event."""
        return [*self.receipts.values(), *self.feeds.values(), *self.alerts.values()]


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
