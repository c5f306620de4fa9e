"""The matcher: follows the canonical stream and queues a delivery per matching subscription.

An alert's issue and updates are matched by area (one query of the spatial index) and filters;
once a subscription got an alert it follows it, so its updates and its end reach the same
subscribers even when an update moves the area. Deliveries and the stream position are written in
one transaction: after a crash the matcher resumes where it committed, and the unique
(subscription, event id) key keeps a re-read event from being queued twice.
"""

from __future__ import annotations

from collections.abc import Callable
from sqlite3 import Connection
from uuid import UUID

import structlog

from domain.alert import AlertEnded, AlertEvent, AlertIssued, AlertUpdated
from domain.model import AlertMessage, Scope
from hub.subscriptions.geometry import Geography, alert_postcodes
from hub.subscriptions.index import SubscriptionIndex
from hub.subscriptions.model import SEVERITY_ORDER, URGENCY_ORDER
from hub.subscriptions.store import Queued, SubscriptionStore
from hub.worker import Worker
from projections.stream import EventStream

log = structlog.get_logger(__name__)
MATCHED = (AlertIssued, AlertUpdated, AlertEnded)
# May this owner see a non-public alert of this channel? (partners with rights on it may)
MayRead = Callable[[str, str], bool]


def event_id(alert_id: UUID, version: int) -> str:
    """The idempotency key a receiver deduplicates on: stable across re-reads of the stream."""
    return f"{alert_id}:{version}"


class Matcher(Worker):
    name = "subscription-matcher"

    def __init__(
        self,
        stream: EventStream,
        *,
        subscriptions: SubscriptionStore,
        geography: Geography,
        may_read: MayRead,
        on_queued: Callable[[], None] = lambda: None,
        page: int = 500,
    ) -> None:
        super().__init__()
        self.stream, self.subscriptions = stream, subscriptions
        self.geography, self.may_read, self.on_queued, self.page = (
            geography,
            may_read,
            on_queued,
            page,
        )
        self._index: SubscriptionIndex | None = None
        self._index_at = -1

    def index(self) -> SubscriptionIndex:
        """The spatial index, rebuilt only when the active subscriptions changed."""
        if self._index is None or self._index_at != self.subscriptions.changes:
            self._index_at = self.subscriptions.changes
            self._index = SubscriptionIndex(self.subscriptions.active(), self.geography)
        return self._index

    def step(self) -> int:
        """Match one page of the stream; its deliveries and the new position in one transaction.

        An issue or update carries the alert's new content, so matching reads the event alone
        (no fold of the alert's history); an end goes to the alert's followers.
        """
        records = self.stream.read(self.subscriptions.position(), limit=self.page)
        if not records:
            return 0
        queued: list[Queued] = []
        with self.subscriptions.transaction() as conn:
            for record in records:
                if isinstance(record.event, MATCHED):
                    queued += self._queue(conn, record.event)
            last = records[-1]
            self.subscriptions.enqueue(conn, queued, last.partition, last.position)
        if queued:
            log.info("subscriptions.matched", events=len(records), deliveries=len(queued))
            self.on_queued()
        return len(records)

    def _queue(self, conn: Connection, event: AlertEvent | AlertIssued) -> list[Queued]:
        alert_id, version = event.originator_id, event.originator_version
        following = self._following(self.subscriptions.followers(conn, alert_id))
        if not isinstance(event, AlertEnded):
            following |= self._wanted(event.channel, event.alert_message)
        targets = sorted(following, key=str)
        self.subscriptions.follow(conn, alert_id, targets)
        kind = type(event).__name__
        return [Queued(s, alert_id, event_id(alert_id, version), kind, version) for s in targets]

    def _following(self, followers: set[UUID]) -> set[UUID]:
        """Followers whose subscription is still active (paused or deleted ones get nothing)."""
        return {f for f in followers if f in self.index().by_id}

    def _wanted(self, channel: str, message: AlertMessage) -> set[UUID]:
        if not message.info:
            return set()
        areas = [a for info in message.info for a in info.areas]
        touching = self.index().touching(self.geography.shape_of(areas), alert_postcodes(areas))
        severity = min((i.severity for i in message.info), key=SEVERITY_ORDER.index)
        urgency = min((i.urgency for i in message.info), key=URGENCY_ORDER.index)
        public = message.scope is Scope.PUBLIC
        return {
            s.subscription_id
            for s in touching
            if s.wants(message.status, severity, urgency, channel)
            and (public or self.may_read(s.owner, channel))
        }
