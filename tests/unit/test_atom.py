"""Atom in and out: rendering reads back, hostile feeds are refused cleanly, the follower retries
only what failed."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.cap.atom import parse_feed, render_feed
from domain.errors import InvalidMessageError, MalformedMessageError
from domain.state import AlertState
from hub.polling import AtomFollower, FeedIncompleteError
from tests.factories import T0, message

BASE = "http://hub.example/v1/feeds/all.atom"


def state(identifier: str) -> AlertState:
    return AlertState.issued(uuid4(), "cap", message(identifier=identifier), T0)


def feed(*states: AlertState) -> bytes:
    return render_feed(
        feed_id="urn:test",
        title="t",
        self_url=BASE,
        updated=T0,
        alerts=states,
        cap_url=lambda s: f"/v1/alerts/{s.alert_id}.cap",
    )


def test_a_rendered_feed_parses_back_with_absolute_cap_links() -> None:
    one, two = state("a"), state("b")
    entries = parse_feed(feed(one, two), BASE)
    assert [e.id for e in entries] == [f"urn:uuid:{one.alert_id}", f"urn:uuid:{two.alert_id}"]
    assert entries[0].cap_url == f"http://hub.example/v1/alerts/{one.alert_id}.cap"
    assert entries[0].updated == "2025-06-02T12:00:00Z"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<rss/>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><feed xmlns="http://www.w3.org/2005/Atom"/>',
    ],
)
def test_what_is_not_an_atom_feed_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessageError):
        parse_feed(body, BASE)


@given(st.binary(max_size=400))
def test_parse_feed_never_fails_otherwise(body: bytes) -> None:
    """Whatever follows the root tag: entries or MalformedMessageError, never another error."""
    with contextlib.suppress(MalformedMessageError):
        parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom">' + body, BASE)


class Peer:
    """A fake far end: documents by URL, some failing; records what the hub ingested."""

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.ingested: list[bytes] = []
        self.reject = False

    def fetch(self, url: str) -> tuple[bytes, str | None]:
        if url in self.broken:
            raise OSError("connection refused")
        return url.encode(), "application/cap+xml"

    def ingest(self, body: bytes, content_type: str | None) -> None:
        if self.reject:
            raise InvalidMessageError("bad CAP", location="alert")
        self.ingested.append(body)


def test_the_follower_takes_each_entry_once_and_again_when_it_changes() -> None:
    peer, one = Peer(), state("a")
    follower = AtomFollower(BASE, peer.ingest, peer.fetch)
    follower(feed(one), "application/atom+xml")
    follower(feed(one), "application/atom+xml")
    assert len(peer.ingested) == 1
    changed = one.model_copy(update={"updated_at": T0 + timedelta(minutes=5)})
    follower(feed(changed), "application/atom+xml")
    assert len(peer.ingested) == 2


def test_a_failed_entry_is_retried_and_a_rejected_one_is_not() -> None:
    peer, one, two = Peer(), state("a"), state("b")
    follower = AtomFollower(BASE, peer.ingest, peer.fetch)
    peer.broken.add(f"http://hub.example/v1/alerts/{two.alert_id}.cap")
    with pytest.raises(FeedIncompleteError):
        follower(feed(one, two), "application/atom+xml")
    peer.broken.clear()
    follower(feed(one, two), "application/atom+xml")
    assert len(peer.ingested) == 2
    peer.reject = True
    three = state("c")
    follower(feed(one, two, three), "application/atom+xml")  # rejected: logged, not retried
    peer.reject = False
    follower(feed(one, two, three), "application/atom+xml")
    assert len(peer.ingested) == 2


def test_a_body_that_is_no_feed_is_ingested_as_it_is() -> None:
    peer = Peer()
    AtomFollower(BASE, peer.ingest, peer.fetch)(b'{"data": []}', "application/json")
    assert peer.ingested == [b'{"data": []}']
