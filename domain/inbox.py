"""Deciding a batch of commands: which alert each belongs to, duplicates, and the resulting events.

An `Inbox` is one consistent decision over one native message's commands (a feed snapshot can hold
many). It loads each aggregate at most once through the `load` function it is given, so the same
logic runs against the event store (the hub) or purely in memory (the conformance suite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.alert import Alert, MessageReceipt
from domain.commands import Command, EndAlert, EndMissingAlerts, Instruction
from domain.errors import IdentifierReusedError
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
        provenance = self.publisher.provenance
        if alert is None:
            self.alerts[aid] = Alert.start(aid, command, provenance)
        else:
            provenance = self.publisher.provenance_for(str(aid), alert.issued_by)
            alert.receive(command, provenance)
        self.receipts[rid] = MessageReceipt.record(rid, aid, digest, provenance)
        if aid not in self.touched:
            self.touched.append(aid)
        return aid

    def apply_all(
        self,
        instructions: Iterable[Instruction],
        *,
        now: datetime,
        open_threads: Callable[[str], Iterable[AlertState]],
    ) -> None:
        for instruction in instructions:
            if isinstance(instruction, EndMissingAlerts):
                self._end_missing(instruction, now, open_threads(instruction.channel))
            else:
                self.apply(instruction)

    def _end_missing(
        self, missing: EndMissingAlerts, now: datetime, states: Iterable[AlertState]
    ) -> None:
        """End the publisher's own open alerts of the channel that the snapshot no longer lists."""
        own = [
            state
            for state in states
            if state.ended is None
            and (alert := self.alert(state.alert_id)) is not None
            and alert.issued_by == self.publisher.name
        ]
        gone = [state for state in own if state.thread not in missing.present]
        self.limit.check(missing.channel, len(gone), len(own))
        for state in gone:
            self.apply(end_of(state, missing, now))

    def pending(self) -> list[Aggregate]:
        """Receipts first: the last notification of every transaction is then an alert event."""
        return [*self.receipts.values(), *self.alerts.values()]


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
