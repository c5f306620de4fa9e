"""Channel feeds are cached by the store's repository, never trusted stale, never corrupted.

Every threaded message loads its channel's feed, whose open threads grow with the channel, so
the repository keeps feeds in memory. These tests hold it to what a fresh load would give: what
another process recorded is seen, and a decision that was never saved leaves no trace.
"""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from domain.feed import ChannelFeed, feed_id
from hub.storage.store import open_sqlite_store


def test_a_feed_recorded_by_another_process_is_seen_at_once(tmp_path: Path) -> None:
    ours, theirs = open_sqlite_store(tmp_path / "events.sqlite"), None
    try:
        feed = ChannelFeed.start("burgernet")
        feed.opened("action-1", uuid4())
        ours.save(feed)
        assert set(ours.repository.get(feed_id("burgernet")).open) == {"action-1"}  # cached now

        theirs = open_sqlite_store(tmp_path / "events.sqlite")
        other = theirs.repository.get(feed_id("burgernet"))
        other.opened("action-2", uuid4())
        other.closed("action-1")
        theirs.save(other)

        assert set(ours.repository.get(feed_id("burgernet")).open) == {"action-2"}
    finally:
        ours.close()
        if theirs is not None:
            theirs.close()


def test_a_decision_never_saved_leaves_the_cached_feed_as_stored(tmp_path: Path) -> None:
    store = open_sqlite_store(tmp_path / "events.sqlite")
    try:
        feed = ChannelFeed.start("burgernet")
        kept = uuid4()
        feed.opened("action-1", kept)
        store.save(feed)
        abandoned = store.repository.get(feed_id("burgernet"))
        abandoned.opened("action-2", uuid4())
        abandoned.closed("action-1")

        again = store.repository.get(feed_id("burgernet"))
        assert again is not abandoned
        assert again.open == {"action-1": kept}
        assert again.version == feed.version
    finally:
        store.close()
