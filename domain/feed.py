"""`ChannelFeed`: which of a channel's threads are open, kept in the event store.

A channel whose feed is a snapshot (NL-Alert, Burgernet, AMBER) says "these threads are present";
the hub ends the channel's other open threads. That decision must come from the store, never
from a view that may lag: this aggregate records each thread the channel opens and each that
ends, in the same transaction as the alert events that open or end it. Two snapshots of one
channel decided at once conflict on it, so one is re-decided on the other's result.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.identity import NAMESPACE


def feed_id(channel: str) -> UUID:
    return uuid5(NAMESPACE, f"feed:{channel}")


class FeedStarted(Aggregate.Created):
    """The hub saw the first thread of this channel."""

    channel: str


class ThreadOpened(Aggregate.Event):
    """The channel opened an alert under its own thread id."""

    thread: str
    alert_id: UUID

    def apply(self, aggregate: Aggregate) -> None:
        feed = aggregate
        assert isinstance(feed, ChannelFeed)
        feed.open[self.thread] = self.alert_id


class ThreadClosed(Aggregate.Event):
    """The alert opened under this thread ended."""

    thread: str

    def apply(self, aggregate: Aggregate) -> None:
        feed = aggregate
        assert isinstance(feed, ChannelFeed)
        feed.open.pop(self.thread, None)


class ChannelFeed(Aggregate):
    """The open threads of one channel: thread id -> alert id."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.open: dict[str, UUID] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> ChannelFeed:
        """A copy to decide on (the store caches feeds and hands out copies). `open` holds only
        strings and UUIDs, which never change, so copying the dict copies it deeply, at C speed:
        a copy costs microseconds even with thousands of threads open."""
        clone = copy.copy(self)
        for name, value in vars(self).items():
            setattr(clone, name, dict(value) if name == "open" else copy.deepcopy(value, memo))
        return clone

    @classmethod
    def start(cls, channel: str) -> ChannelFeed:
        return cls._create(FeedStarted, id=feed_id(channel), channel=channel)

    def opened(self, thread: str, alert_id: UUID) -> None:
        if self.open.get(thread) != alert_id:
            self.trigger_event(ThreadOpened, thread=thread, alert_id=alert_id)

    def closed(self, thread: str) -> None:
        if thread in self.open:
            self.trigger_event(ThreadClosed, thread=thread)
